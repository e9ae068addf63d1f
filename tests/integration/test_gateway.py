"""The gateway against a real broker: live alerts over SSE and WebSocket, filters, resume,
auth, heartbeats, slow clients, readiness and the JSON endpoints."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaProducer

from streams.broker import EmbeddedBroker, ensure_topics, free_port
from streams.events import Alert, Article, Category, EnrichedEvent, Place, dumps
from streams.gateway.app import build_app
from streams.gateway.options import GatewayOptions
from streams.gateway.state import GATEWAY
from streams.settings import Settings, load_settings
from streams.topics import topic_names, topic_specs

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAST = GatewayOptions(heartbeat_s=5.0, connect_burst=100, connect_rate=100, probe_interval_s=0.2)


# ---- helpers (also used by test_live_page.py) -------------------------------------------


def make_alert(
    n: int,
    *,
    story: str | None = None,
    category: str = "strike",
    severity: int = 3,
    country: str | None = "UA",
    headline: str | None = None,
) -> Alert:
    story_id = story or f"story-{n}"
    places = [Place("Kharkiv", country, 50.0, 36.2, "city", role="event")] if country else []
    return Alert(
        alert_id=f"{story_id}:{n}",
        story_id=story_id,
        revision=0,
        action="new",
        rule="test",
        destinations=["stream"],
        headline=headline or f"Alert number {n}: overnight drone attack reported",
        url=f"https://example.test/{n}",
        categories=[Category(category, 0.9)],
        severity=severity,
        figures=[],
        places=places,
        sources=[],
        source_count=1,
        first_seen="2025-01-01T00:00:00.000Z",
        event_id=f"a{n}:hash",
        created_at="2025-01-01T00:00:01.000Z",
    )


def gateway_settings(broker: EmbeddedBroker, prefix: str, **extra: Any) -> Settings:
    kwargs: dict[str, Any] = {
        "kafka_bootstrap": broker.bootstrap,
        "topic_prefix": prefix,
        "partitions": 3,
        "gateway_tokens": [TOKEN],
    }
    kwargs.update(extra)
    return load_settings(**kwargs)


@asynccontextmanager
async def running_gateway(
    settings: Settings,
    options: GatewayOptions = FAST,
    *,
    wait_ready: bool = True,
    extra_routes: Sequence[web.RouteDef] = (),
) -> AsyncIterator[TestServer]:
    if wait_ready:
        await ensure_topics(settings.kafka_bootstrap or "", topic_specs(settings))
    app = build_app(settings, options=options, extra_routes=extra_routes)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        if wait_ready:
            async with aiohttp.ClientSession() as http:
                deadline = time.monotonic() + 20
                while True:
                    async with http.get(server.make_url("/readyz")) as r:
                        if r.status == 200:
                            break
                    assert time.monotonic() < deadline, "gateway never became ready"
                    await asyncio.sleep(0.05)
        yield server
    finally:
        await server.close()


@asynccontextmanager
async def producer_for(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=0)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


_clock = [int(time.time() * 1000)]


async def produce_alerts(settings: Settings, producer: AIOKafkaProducer, *alerts: Alert) -> None:
    """Send in order, with strictly rising timestamps so the order across partitions is defined."""
    topic = topic_names(settings).alerts
    for a in alerts:
        await producer.send_and_wait(
            topic, dumps(a), key=a.story_id.encode(), timestamp_ms=next_timestamp()
        )


def next_timestamp() -> int:
    """Now in ms, strictly after the last one handed out."""
    _clock[0] = max(_clock[0] + 1, int(time.time() * 1000))
    return _clock[0]


@dataclass
class SSEEvent:
    event: str = "message"
    id: str | None = None
    data: str = ""
    comment: str | None = None

    def json(self) -> Any:
        return orjson.loads(self.data)


async def read_event(resp: aiohttp.ClientResponse, timeout: float = 10.0) -> SSEEvent:
    """The next event or comment of an SSE response (``retry:`` lines are skipped)."""
    ev = SSEEvent()
    seen = False
    async with asyncio.timeout(timeout):
        while True:
            raw = await resp.content.readline()
            if not raw:
                raise EOFError("stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if seen:
                    return ev
                continue
            if line.startswith(":"):
                return SSEEvent(event="comment", comment=line[1:].strip())
            name, _, value = line.partition(": ")
            if name == "retry":
                continue
            seen = True
            if name == "id":
                ev.id = value
            elif name == "event":
                ev.event = value
            elif name == "data":
                ev.data += value


async def next_alert(resp: aiohttp.ClientResponse, timeout: float = 10.0) -> SSEEvent:
    """The next alert event, skipping heartbeats; ``timeout`` bounds the whole wait."""
    async with asyncio.timeout(timeout):
        while True:
            ev = await read_event(resp, timeout)
            if ev.event == "alert":
                return ev


# ---- live delivery ----------------------------------------------------------------------


async def test_sse_receives_a_live_alert(broker: EmbeddedBroker, topic_prefix: str) -> None:
    settings = gateway_settings(broker, topic_prefix)
    async with (
        running_gateway(settings) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH) as http,
        http.get(server.make_url("/v1/alerts/stream")) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        ready = await read_event(resp)
        assert ready.event == "ready" and ready.json()["resumed"] is False
        await produce_alerts(settings, producer, make_alert(1))
        ev = await next_alert(resp)
        assert ev.json()["alert_id"] == "story-1:1"
        assert ev.id and ev.id.startswith("v1:")


async def test_websocket_receives_a_live_alert(broker: EmbeddedBroker, topic_prefix: str) -> None:
    settings = gateway_settings(broker, topic_prefix)
    async with (
        running_gateway(settings) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession() as http,
        http.ws_connect(server.make_url(f"/v1/alerts/ws?access_token={TOKEN}")) as ws,
    ):
        ready = await ws.receive_json(timeout=10)
        assert ready["type"] == "ready"
        await produce_alerts(settings, producer, make_alert(7, severity=4))
        msg = await ws.receive_json(timeout=10)
        assert msg["type"] == "alert"
        assert (msg["alert"]["alert_id"], msg["alert"]["severity"]) == ("story-7:7", 4)
        assert msg["id"].startswith("v1:")


FILTER_CASES = {
    "category=strike": {1, 3, 99},
    "category=diplomacy,production_policy": {2, 4, 99},
    "min_severity=4": {3, 4, 99},
    "country=ua": {1, 4, 99},
    "country=IL&country=UA": {1, 2, 4, 99},
    "q=CEASEFIRE": {2, 99},
    "category=strike&min_severity=4": {3, 99},
}


async def test_filters_select_matching_alerts(broker: EmbeddedBroker, topic_prefix: str) -> None:
    settings = gateway_settings(broker, topic_prefix)
    alerts = [
        make_alert(1, category="strike", severity=2, country="UA"),
        make_alert(2, category="diplomacy", severity=1, country="IL", headline="Ceasefire talks"),
        make_alert(3, category="strike", severity=5, country="SY"),
        make_alert(4, category="production_policy", severity=4, country="UA"),
        make_alert(5, category="other", severity=1, country=None),
        # matches every filter above: once a client sees it, it has seen all it will
        make_alert(99, category="strike", severity=5, country="UA", headline="ceasefire broken"),
    ]
    alerts[-1].places.append(Place("Haifa", "IL", None, None, "city"))
    alerts[-1].categories += [Category("diplomacy", 0.5), Category("production_policy", 0.2)]
    async with (
        running_gateway(settings) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH) as http,
    ):
        streams = {}
        for query in FILTER_CASES:
            resp = await http.get(server.make_url(f"/v1/alerts/stream?{query}"))
            assert resp.status == 200, await resp.text()
            assert (await read_event(resp)).event == "ready"
            streams[query] = resp
        await produce_alerts(settings, producer, *alerts)
        for query, resp in streams.items():
            got = set()
            while 99 not in got:
                got.add(int((await next_alert(resp)).json()["alert_id"].split(":")[1]))
            assert got == FILTER_CASES[query], query
            resp.close()


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("min_severity=high", "min_severity"),
        ("min_severity=9", "min_severity"),
        ("country=Ukraine", "country"),
        ("country=QQ", "country"),
        ("category=Strike!", "category"),
        ("q=", "q"),
        ("minseverity=3", "minseverity"),
        ("last_event_id=garbage", "last_event_id"),
    ],
)
async def test_bad_filters_are_400_with_a_clear_error(
    broker: EmbeddedBroker, topic_prefix: str, query: str, param: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    async with running_gateway(settings) as server, aiohttp.ClientSession(headers=AUTH) as http:
        for path in ("/v1/alerts/stream", "/v1/alerts/ws"):
            async with http.get(server.make_url(f"{path}?{query}")) as resp:
                assert resp.status == 400
                body = await resp.json()
                assert body["error"] == "bad_parameter"
                assert body["message"].startswith(param)
        async with http.get(
            server.make_url("/v1/alerts/stream"), headers={"Last-Event-ID": "0-12"}
        ) as resp:
            assert resp.status == 400
            assert (await resp.json())["message"].startswith("Last-Event-ID")


# ---- resume ---------------------------------------------------------------------------


async def test_resume_returns_exactly_the_missed_alerts_in_order(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    async with (
        running_gateway(settings) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH) as http,
    ):
        url = server.make_url("/v1/alerts/stream")
        async with http.get(url) as resp:
            await read_event(resp)
            await produce_alerts(settings, producer, *(make_alert(i) for i in range(3)))
            seen = [await next_alert(resp) for _ in range(3)]
        last_id = seen[-1].id
        assert last_id is not None
        missed = [make_alert(i) for i in range(3, 10)]  # spread over the 3 partitions
        await produce_alerts(settings, producer, *missed)

        async with http.get(url, headers={"Last-Event-ID": last_id}) as resp:
            ready = await read_event(resp)
            assert ready.event == "ready" and ready.json()["resumed"] is True
            assert ready.json()["gap"] is False
            got = [(await next_alert(resp)).json()["alert_id"] for _ in missed]
            assert got == [a.alert_id for a in missed]
            await produce_alerts(settings, producer, make_alert(10))
            after = await next_alert(resp)
            assert after.json()["alert_id"] == "story-10:10"  # live follows, nothing twice
            resume_ws_from = after.id

        await produce_alerts(settings, producer, make_alert(11), make_alert(12))
        ws_url = server.make_url(f"/v1/alerts/ws?last_event_id={resume_ws_from}&min_severity=3")
        async with http.ws_connect(ws_url) as ws:
            assert (await ws.receive_json(timeout=10))["type"] == "ready"
            ids = [(await ws.receive_json(timeout=10))["alert"]["alert_id"] for _ in range(2)]
            assert ids == ["story-11:11", "story-12:12"]


async def test_resume_from_the_ready_id_misses_nothing(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    async with (
        running_gateway(settings) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH) as http,
    ):
        url = server.make_url("/v1/alerts/stream")
        async with http.get(url) as resp:
            ready_id = (await read_event(resp)).id
        assert ready_id is not None
        await produce_alerts(settings, producer, make_alert(1), make_alert(2))
        async with http.get(f"{url}?last_event_id={ready_id}") as resp:
            await read_event(resp)
            got = [(await next_alert(resp)).json()["alert_id"] for _ in range(2)]
        assert got == ["story-1:1", "story-2:2"]


async def test_resume_inside_a_multi_record_batch_misses_nothing(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    """Three alerts in one produce batch: the embedded broker reports the partition's end as
    the batch's base offset + 1. A client that saw the second must still get the third."""
    settings = gateway_settings(broker, topic_prefix)
    alerts = [make_alert(i) for i in range(3)]
    async with (
        running_gateway(settings) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH) as http,
    ):
        url = server.make_url("/v1/alerts/stream")
        async with http.get(url) as resp:
            await read_event(resp)
            batch = producer.create_batch()
            for a in alerts:
                batch.append(key=a.story_id.encode(), value=dumps(a), timestamp=next_timestamp())
            batch.close()
            await (await producer.send_batch(batch, topic_names(settings).alerts, partition=0))
            seen = [await next_alert(resp) for _ in alerts]
        async with http.get(url, headers={"Last-Event-ID": seen[1].id or ""}) as resp:
            await read_event(resp)
            assert (await next_alert(resp)).json()["alert_id"] == alerts[2].alert_id


# ---- auth, limits, heartbeats ------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}]
)
async def test_401_without_a_valid_token(
    broker: EmbeddedBroker, topic_prefix: str, headers: dict[str, str]
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    async with running_gateway(settings) as server, aiohttp.ClientSession(headers=headers) as http:
        for path in (
            "/v1/alerts/stream",
            "/v1/alerts/ws",
            "/v1/alerts/recent",
            "/v1/stories/recent",
            "/v1/stats/categories",
            "/v1/alerts/stream?access_token=nope",
        ):
            async with http.get(server.make_url(path)) as resp:
                assert resp.status == 401, path
                assert (await resp.json())["error"] == "unauthorized"
        async with (
            aiohttp.ClientSession() as anon,
            anon.get(server.make_url(f"/v1/alerts/recent?access_token={TOKEN}")) as resp,
        ):
            assert resp.status == 200


async def test_connects_are_rate_limited_per_client(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    options = replace(FAST, connect_burst=2, connect_rate=0.01)
    async with running_gateway(settings, options) as server, aiohttp.ClientSession() as http:
        url = server.make_url("/v1/alerts/stream?category=nothing_matches")
        for _ in range(2):
            async with http.get(url, headers=AUTH) as resp:
                assert resp.status == 200
        async with http.get(url, headers=AUTH) as resp:
            assert resp.status == 429
            assert int(resp.headers["Retry-After"]) >= 1


async def test_heartbeats_arrive(broker: EmbeddedBroker, topic_prefix: str) -> None:
    settings = gateway_settings(broker, topic_prefix)
    options = replace(FAST, heartbeat_s=0.2)
    async with (
        running_gateway(settings, options) as server,
        aiohttp.ClientSession(headers=AUTH) as http,
    ):
        async with http.get(server.make_url("/v1/alerts/stream")) as resp:
            assert (await read_event(resp)).event == "ready"
            ev = await read_event(resp, timeout=2)
            assert (ev.event, ev.comment) == ("comment", "ping")
        async with http.ws_connect(server.make_url("/v1/alerts/ws"), autoping=False) as ws:
            assert (await ws.receive_json(timeout=5))["type"] == "ready"
            msg = await ws.receive(timeout=2)
            assert msg.type == aiohttp.WSMsgType.PING


# ---- slow clients --------------------------------------------------------------------------


def _stalled_client(port: int, path: str) -> socket.socket:
    """A client that asks for the stream and then never reads (tiny receive buffer)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
    return s


def _read_until_closed(s: socket.socket, timeout: float) -> bool:
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


async def test_stalled_client_is_dropped_and_others_keep_up(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    options = replace(FAST, client_queue=32)
    total = 400
    pad = "x" * 2000
    async with (
        running_gateway(settings, options) as server,
        producer_for(settings) as producer,
        aiohttp.ClientSession(headers=AUTH) as http,
        http.get(server.make_url("/v1/alerts/stream")) as fast,
    ):
        await read_event(fast)
        stalled = _stalled_client(server.port or 0, "/v1/alerts/stream")
        tail = server.app[GATEWAY].tail
        while tail.subscriber_count < 2:
            await asyncio.sleep(0.01)

        async def receive_all() -> tuple[list[str], float]:
            got = [(await next_alert(fast)).json()["alert_id"] for _ in range(total)]
            return got, time.monotonic()

        reader = asyncio.create_task(receive_all())
        await produce_alerts(
            settings, producer, *(make_alert(i, headline=f"Alert {i} {pad}") for i in range(total))
        )
        produced_at = time.monotonic()
        got, done_at = await asyncio.wait_for(reader, 20)
        # Live order holds per story (partition); across partitions it is only by fetch.
        assert sorted(got) == sorted(f"story-{i}:{i}" for i in range(total))
        assert len(set(got)) == total
        assert done_at - produced_at < 2.0  # the stalled client held nothing up
        assert await asyncio.to_thread(_read_until_closed, stalled, 10), "stalled client kept"
        assert tail.subscriber_count == 1
        stalled.close()


# ---- readiness, JSON endpoints, shutdown ---------------------------------------------------


async def test_readyz_is_503_while_the_broker_is_unreachable(topic_prefix: str) -> None:
    settings = load_settings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        topic_prefix=topic_prefix,
        gateway_tokens=[TOKEN],
    )
    async with (
        running_gateway(settings, wait_ready=False) as server,
        aiohttp.ClientSession(headers=AUTH) as http,
    ):
        await asyncio.sleep(0.5)
        async with http.get(server.make_url("/healthz")) as resp:
            assert resp.status == 200
        async with http.get(server.make_url("/readyz")) as resp:
            assert resp.status == 503
            assert (await resp.json())["broker"] is False
        async with http.get(server.make_url("/v1/alerts/stream")) as resp:
            assert resp.status == 503
            assert (await resp.json())["error"] == "not_ready"


def make_event(n: int, category: str, kind: str = "new") -> EnrichedEvent:
    article = Article(
        article_id=f"art{n}",
        feed_url="https://feeds.example.test/rss",
        outlet="Example Wire",
        url=f"https://example.test/a/{n}",
        title=f"Report {n}",
    )
    return EnrichedEvent(
        event_id=f"art{n}:abc",
        kind=kind,
        article=article,
        story_id=f"s{n}",  # type: ignore[arg-type]
        is_new_story=True,
        sources=[],
        source_count=1,
        first_seen="2025-01-01T00:00:00.000Z",
        categories=[Category(category, 0.8), Category("other", 0.1)],
    )


async def test_recent_alerts_stories_and_category_stats(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    names = topic_names(settings)
    await ensure_topics(broker.bootstrap, topic_specs(settings))
    async with producer_for(settings) as producer:
        old = make_alert(0)  # produced before the gateway starts: the ring warms up with it
        await produce_alerts(settings, producer, old)
        two_hours_ago = int(time.time() * 1000) - 2 * 3_600_000
        events = [
            (make_event(1, "strike"), two_hours_ago),
            (make_event(2, "strike"), None),
            (make_event(2, "strike"), None),  # a duplicate delivery: counted once
            (make_event(3, "diplomacy"), None),
            (make_event(4, "strike", "updated"), None),
            (make_event(5, "strike"), two_hours_ago - 48 * 3_600_000),
        ]  # outside the window
        for ev, ts in events:
            await producer.send_and_wait(
                names.events, dumps(ev), key=ev.story_id.encode(), timestamp_ms=ts
            )
        async with running_gateway(settings) as server, aiohttp.ClientSession(headers=AUTH) as http:
            await produce_alerts(
                settings,
                producer,
                make_alert(1, story="s-a"),
                make_alert(2, story="s-b", country="IL"),
                replace(make_alert(3, story="s-a", severity=5), revision=1, action="update"),
            )

            async def get(path: str) -> Any:
                async with http.get(server.make_url(path)) as resp:
                    assert resp.status == 200, await resp.text()
                    return await resp.json()

            deadline = time.monotonic() + 10
            while (await get("/v1/alerts/recent"))["count"] < 4:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            body = await get("/v1/alerts/recent?limit=2")
            assert [a["alert"]["alert_id"] for a in body["alerts"]] == ["s-a:3", "s-b:2"]
            body = await get("/v1/alerts/recent?country=IL")
            assert [a["alert"]["alert_id"] for a in body["alerts"]] == ["s-b:2"]
            stories = (await get("/v1/stories/recent"))["stories"]
            assert [(s["story_id"], s["revision"], s["alerts"]) for s in stories] == [
                ("s-a", 1, 2),
                ("s-b", 0, 1),
                ("story-0", 0, 1),
            ]
            while True:
                stats = await get("/v1/stats/categories?hours=6")
                if sum(stats["totals"].values()) >= 3:
                    break
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            assert stats["totals"] == {"diplomacy": 1, "strike": 2}
            assert len(stats["buckets"]) == 6
            assert stats["buckets"][-1]["counts"] == {"diplomacy": 1, "strike": 1}
            assert stats["buckets"][-3]["counts"] == {"strike": 1}
            for bad in ("hours=0", "hours=1000", "hours=six", "limit=0", "bogus=1"):
                path = (
                    "/v1/stats/categories"
                    if bad.startswith(("hours", "bogus"))
                    else ("/v1/alerts/recent")
                )
                async with http.get(server.make_url(f"{path}?{bad}")) as resp:
                    assert resp.status == 400, bad


async def test_run_gateway_stops_quickly_on_sigterm_with_clients_connected(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = gateway_settings(broker, topic_prefix)
    await ensure_topics(broker.bootstrap, topic_specs(settings))
    port = free_port()
    code = (
        "import asyncio; from streams.settings import load_settings; "
        "from streams.gateway.service import run_gateway; "
        f"asyncio.run(run_gateway(load_settings(kafka_bootstrap={broker.bootstrap!r}, "
        f"topic_prefix={topic_prefix!r}, gateway_port={port}, gateway_tokens=[{TOKEN!r}])))"
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                assert time.monotonic() < deadline, "gateway did not become ready"
                await asyncio.sleep(0.1)
            async with http.get(f"http://127.0.0.1:{port}/v1/alerts/stream") as resp:
                assert (await read_event(resp)).event == "ready"
                started = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 10) == 0
                assert time.monotonic() - started < 5
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
