"""Poison on the topics the gateway and the poller consume: skipped with a warning, and
what follows still flows. (The worker's topics and the notifier's alerts topic have their
own poison tests: tests/integration/test_worker.py, tests/integration/test_notifier.py.)"""

from __future__ import annotations

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from streams.broker import EmbeddedBroker, ensure_topics
from streams.ingest.state import FeedState, KafkaStateStore
from streams.settings import load_settings
from streams.topics import topic_names, topic_specs
from tests.integration.test_gateway import (
    AUTH,
    gateway_settings,
    make_alert,
    next_alert,
    produce_alerts,
    producer_for,
    read_event,
    running_gateway,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(60)]

POISON = [b"{not json", b"[]", b'{"schema_version": 99}', b"", b"\xff\xfe" * 1000, b"x" * 900_000]


async def test_gateway_skips_poison_alerts_and_streams_the_next_good_one(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    async with (
        running_gateway(settings) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH) as http,
        http.get(server.make_url("/v1/alerts/stream")) as resp,
    ):
        await read_event(resp)
        for i, raw in enumerate(POISON):
            await producer.send_and_wait(
                topic_names(settings).alerts, raw, key=b"story-1", partition=i % 3
            )
        await produce_alerts(settings, producer, make_alert(1, story="story-1"))
        ev = await next_alert(resp)
        assert ev.json()["alert_id"] == "story-1:1"
        async with http.get(server.make_url("/readyz")) as r:
            assert r.status == 200, "still healthy"


async def test_poller_state_topic_with_poison_still_loads_the_good_states(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = load_settings(kafka_bootstrap=broker.bootstrap, topic_prefix=topic_prefix)
    await ensure_topics(broker.bootstrap, topic_specs(settings))
    topic = topic_names(settings).feed_state
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, max_request_size=4_000_000)
    await producer.start()
    try:
        good = FeedState(url="https://example.test/rss")
        for raw in POISON:
            await producer.send_and_wait(topic, raw, key=b"https://bad.test/rss")
        await producer.send_and_wait(topic, b"{}", key=None)
        store = KafkaStateStore(settings, topic, producer)
        await store.save(good)
        states = await store.load()
    finally:
        await producer.stop()
    assert list(states) == ["https://example.test/rss"]
