"""/healthz, /readyz and /metrics of each service against the real embedded broker, and
readiness while the broker cannot be reached."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from streams.broker import EmbeddedBroker, ensure_topics, free_port
from streams.deliver.notifier import run_notifier
from streams.events import dumps
from streams.gateway.service import run_gateway
from streams.ingest.service import run_poller
from streams.settings import Settings, load_settings
from streams.topics import topic_specs
from tests.fakes import make_alert
from tests.integration.feedserver import FeedServer, rss, start_feed_server
from tests.integration.test_worker import STRIKE

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def get(port: int, path: str) -> tuple[int, str]:
    """(status, body); status 0 while nothing listens yet."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"http://127.0.0.1:{port}{path}") as resp,
        ):
            return resp.status, await resp.text()
    except aiohttp.ClientConnectionError:
        return 0, ""


async def scrape(port: int) -> Samples:
    status, text = await get(port, "/metrics")
    assert status == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def status_is(port: int, path: str, want: int) -> bool:
    return (await get(port, path))[0] == want


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    fs = await start_feed_server()
    yield fs
    await fs.server.close()


@pytest.fixture
async def settings(broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path) -> Settings:
    s = load_settings(
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=topic_prefix,
        partitions=2,
        data_dir=tmp_path / "data",
        rebalance_timeout_s=1.0,
        session_timeout_ms=1000,
        heartbeat_interval_ms=300,
        poller_port=free_port(),
        notifier_port=free_port(),
    )
    await ensure_topics(broker.bootstrap, topic_specs(s))
    return s


def dead_broker(settings: Settings) -> Settings:
    return settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{free_port()}"})


@contextlib.asynccontextmanager
async def running(coro: Awaitable[None]) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.ensure_future(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # the services' handlers
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_signal_handler(sig)


def feeds_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "feeds.yaml"
    doc = {
        "poller": {"allow_private": ["127.0.0.1"], "jitter": 0.0},
        "feeds": [{"url": url, "outlet": "Metrics Wire", "min_interval": 1, "max_interval": 1}],
    }
    path.write_text(yaml.safe_dump(doc))
    return path


ITEMS = [("m3", "Third", "Three"), ("m2", "Second", "Two"), ("m1", "First", "One")]


async def test_poller_counts_polls_items_and_is_ready(
    settings: Settings, server: FeedServer, tmp_path: Path
) -> None:
    server.static("/m.xml", rss(ITEMS))
    port = settings.poller_port
    async with running(run_poller(settings, feeds_file(tmp_path, server.url("/m.xml")))):
        await eventually(lambda: status_is(port, "/readyz", 200))
        assert await get(port, "/healthz") == (200, '{"status":"ok"}')

        async def polled_twice() -> bool:
            m = await scrape(port)
            polls = "newsstream_feed_polls_total"
            return value(m, polls, outlet="Metrics Wire", outcome="not_modified") >= 1

        await eventually(polled_twice)
        m = await scrape(port)
    assert value(m, "newsstream_feed_polls_total", outlet="Metrics Wire", outcome="new") == 1
    assert value(m, "newsstream_feed_items_total", outlet="Metrics Wire", kind="new") == 3
    assert value(m, "newsstream_stage_articles_total", stage="published") >= 3
    assert value(m, "newsstream_broker_reachable") == 1


async def test_poller_without_a_broker_is_alive_but_not_ready(
    settings: Settings, server: FeedServer, tmp_path: Path
) -> None:
    port = settings.poller_port
    dead = dead_broker(settings)
    async with running(run_poller(dead, feeds_file(tmp_path, server.url("/m.xml")))) as task:
        await eventually(lambda: status_is(port, "/healthz", 200))
        status, body = await get(port, "/readyz")
        assert (status, "broker unreachable" in body) == (503, True)
        assert value(await scrape(port), "newsstream_broker_reachable") == 0
        assert not task.done()  # it keeps trying; the supervisor need not restart it


async def test_notifier_counts_deliveries_and_lag(settings: Settings) -> None:
    port = settings.notifier_port
    stop = asyncio.Event()
    async with running(run_notifier(settings, None, stop)):
        await eventually(lambda: status_is(port, "/readyz", 200))
        before = await scrape(port)
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        await producer.start()
        try:
            for i in range(3):
                alert = make_alert(story_id=f"s-metrics-{i}")
                await producer.send_and_wait(
                    settings.topic("alerts"), dumps(alert), key=alert.story_id.encode()
                )
        finally:
            await producer.stop()

        def n_delivered(m: Samples) -> float:
            return value(
                m, "newsstream_deliveries_total", destination="default", outcome="delivered"
            )

        async def delivered() -> bool:
            return n_delivered(await scrape(port)) - n_delivered(before) >= 3

        await eventually(delivered)
        after = await scrape(port)
        stop.set()
    hop = "newsstream_hop_latency_seconds_count"
    assert (
        value(after, hop, hop="alerted_to_delivered")
        - value(before, hop, hop="alerted_to_delivered")
        == 3
    )
    lags = {k: v for k, v in after.items() if k[0] == "newsstream_consumer_lag"}
    alerts_topic = settings.topic("alerts")
    mine = [v for (_, labels), v in lags.items() if ("topic", alerts_topic) in labels]
    assert len(mine) == settings.partitions and all(v == 0 for v in mine)


async def test_notifier_without_a_broker_is_alive_but_not_ready(settings: Settings) -> None:
    port = settings.notifier_port
    stop = asyncio.Event()
    async with running(run_notifier(dead_broker(settings), None, stop)) as task:
        await eventually(lambda: status_is(port, "/healthz", 200))
        status, body = await get(port, "/readyz")
        assert (status, "broker unreachable" in body) == (503, True)
        await asyncio.sleep(1.0)
        assert not task.done()  # retrying, not crashed
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_gateway_serves_metrics(settings: Settings) -> None:
    port = free_port()
    s = settings.model_copy(update={"gateway_port": port})
    stop = asyncio.Event()
    async with running(run_gateway(s, stop=stop)):
        await eventually(lambda: status_is(port, "/readyz", 200))
        m = await scrape(port)
        assert value(m, "newsstream_broker_reachable") == 1
        assert ("newsstream_gateway_clients", frozenset()) in m
        stop.set()


async def test_worker_readiness_stage_counts_and_lag(
    broker: EmbeddedBroker, settings: Settings, tmp_path: Path
) -> None:
    web_port = free_port()
    env = dict(
        os.environ,
        NEWSSTREAM_KAFKA_BOOTSTRAP=broker.bootstrap,
        NEWSSTREAM_TOPIC_PREFIX=settings.topic_prefix,
        NEWSSTREAM_PARTITIONS=str(settings.partitions),
        NEWSSTREAM_DATA_DIR=str(settings.data_dir),
        NEWSSTREAM_SESSION_TIMEOUT_MS="2000",
        NEWSSTREAM_HEARTBEAT_INTERVAL_MS="500",
        NEWSSTREAM_WORKER_WEB_PORT=str(web_port),
    )
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streams", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "wb"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        await eventually(lambda: status_is(web_port, "/healthz", 200), 30)
        await eventually(lambda: status_is(web_port, "/readyz", 200), 30)
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        try:
            for art in [*STRIKE, STRIKE[0]]:  # the last one is an exact repeat
                await producer.send_and_wait(
                    settings.topic("articles"), dumps(art), key=art.article_id.encode()
                )
        finally:
            await producer.stop()

        async def through() -> bool:
            m = await scrape(web_port)
            return value(m, "newsstream_stage_articles_total", stage="alert_checked") >= 3

        await eventually(through, 30)
        m = await scrape(web_port)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    log = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    assert value(m, "newsstream_stage_articles_total", stage="understood") == 3, log
    assert value(m, "newsstream_exact_repeats_total") == 1
    assert value(m, "newsstream_stage_articles_total", stage="decided") == 3
    decisions = sum(v for (name, _), v in m.items() if name == "newsstream_story_decisions_total")
    assert decisions == 3
    assert value(m, "newsstream_category_events_total", category="strike") >= 1
    assert value(m, "newsstream_processing_seconds_count", stage="understand") == 4
    assert value(m, "newsstream_hop_latency_seconds_count", hop="understood_to_enriched") >= 1
    lag = [
        v
        for (name, labels), v in m.items()
        if name == "newsstream_consumer_lag" and ("topic", settings.topic("articles")) in labels
    ]
    assert len(lag) == settings.partitions and all(v == 0 for v in lag)
