"""The gateway under load: 200 concurrent SSE subscribers all get every alert while one
stalled client is dropped; a flood of connects from one client is rate limited."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import aiohttp
import pytest

from streams.broker import EmbeddedBroker
from streams.gateway.state import GATEWAY
from tests.integration.test_gateway import (
    AUTH,
    FAST,
    _read_until_closed,
    _stalled_client,
    gateway_settings,
    make_alert,
    next_alert,
    produce_alerts,
    producer_for,
    read_event,
    running_gateway,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(120)]

SUBSCRIBERS = 200
ALERTS = 200


async def test_200_subscribers_get_every_alert_and_a_stalled_one_is_dropped(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    # every subscriber connects from this one test client: lift the per-client connect limit
    options = replace(FAST, client_queue=32, connect_burst=1000, connect_rate=1000)
    pad = "x" * 4000
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        running_gateway(settings, options) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH, connector=connector) as http,
    ):
        url = server.make_url("/v1/alerts/stream")
        streams = [await http.get(url) for _ in range(SUBSCRIBERS)]
        try:
            for resp in streams:
                assert resp.status == 200
                await read_event(resp)  # ready
            stalled = _stalled_client(server.port or 0, "/v1/alerts/stream")
            tail = server.app[GATEWAY].tail
            deadline = time.monotonic() + 10
            while tail.subscriber_count < SUBSCRIBERS + 1:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)

            async def receive(resp: aiohttp.ClientResponse) -> set[str]:
                return {(await next_alert(resp, 30)).json()["alert_id"] for _ in range(ALERTS)}

            readers = [asyncio.create_task(receive(r)) for r in streams]
            alerts = [make_alert(i, headline=f"Alert {i} {pad}") for i in range(ALERTS)]
            await produce_alerts(settings, producer, *alerts)
            results = await asyncio.wait_for(asyncio.gather(*readers), 60)
            want = {a.alert_id for a in alerts}
            assert all(r == want for r in results), "every subscriber got every alert"
            assert await asyncio.to_thread(_read_until_closed, stalled, 15), "stalled dropped"
            stalled.close()
        finally:
            for resp in streams:
                resp.close()


async def test_connect_flood_from_one_client_is_rate_limited(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    options = replace(FAST, connect_burst=5, connect_rate=1)
    async with running_gateway(settings, options) as server, aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(20):
            async with http.get(server.make_url("/v1/alerts/recent"), headers=AUTH) as r:
                statuses.append(r.status)
            async with http.get(server.make_url("/v1/alerts/stream"), headers=AUTH) as r:
                statuses.append(r.status)
        assert 429 in statuses, statuses
