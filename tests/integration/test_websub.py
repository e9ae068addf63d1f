"""WebSub push against a tiny real hub served over HTTP by the test, and the real broker."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from streams.broker import free_port
from streams.ingest.config import FeedConfig, FeedsConfig
from streams.ingest.poller import Poller
from streams.ingest.websub import WebSubManager, sign
from tests.integration.feedserver import FeedServer, rss, start_feed_server
from tests.integration.test_poller import OPTIONS, read_articles
from tests.integration.test_poller import kafka as kafka  # the fixture

pytestmark = pytest.mark.integration


class Hub:
    """Accepts subscriptions, verifies intent with a GET challenge, then can push signed content."""

    def __init__(self) -> None:
        self.subs: dict[str, dict[str, str]] = {}  # topic -> form
        self.verified: list[str] = []
        self.refuse = False
        self.server: TestServer | None = None

    async def subscribe(self, request: web.Request) -> web.Response:
        if self.refuse:
            return web.Response(status=403)
        form = dict(await request.post())
        assert form["hub.mode"] == "subscribe"
        self.subs[str(form["hub.topic"])] = {k: str(v) for k, v in form.items()}
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.verify(form)))
        return web.Response(status=202)

    async def verify(self, form: dict[str, Any]) -> None:
        challenge = secrets.token_hex(8)
        params = {
            "hub.mode": "subscribe",
            "hub.topic": form["hub.topic"],
            "hub.challenge": challenge,
            "hub.lease_seconds": "7200",
        }
        async with aiohttp.ClientSession() as s, s.get(form["hub.callback"], params=params) as r:
            if r.status == 200 and await r.text() == challenge:
                self.verified.append(str(form["hub.topic"]))

    async def push(self, topic: str, body: bytes, secret: str | None = None) -> int:
        form = self.subs[topic]
        sig = sign(secret or form["hub.secret"], body, "sha256")
        headers = {"Content-Type": "application/rss+xml", "X-Hub-Signature": sig}
        async with (
            aiohttp.ClientSession() as s,
            s.post(form["hub.callback"], data=body, headers=headers) as r,
        ):
            return r.status


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    h = Hub()
    app = web.Application()
    app.router.add_post("/hub", h.subscribe)
    h.server = TestServer(app, host="127.0.0.1")
    await h.server.start_server()
    yield h
    await h.server.close()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    fs = await start_feed_server()
    yield fs
    await fs.server.close()


async def until(cond: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_subscribe_verify_push_and_reject_forgeries(
    hub: Hub, server: FeedServer, kafka: dict[str, Any]
) -> None:
    from streams.ingest.service import kafka_publisher
    from streams.ingest.state import KafkaStateStore

    assert hub.server is not None
    hub_url = str(hub.server.make_url("/hub"))
    self_url = server.url("/pushed.xml")
    links = f'<atom:link rel="hub" href="{hub_url}"/><atom:link rel="self" href="{self_url}"/>'
    now = time.time()
    server.static("/pushed.xml", rss([("p1", "Polled first", "x")], extra=links, newest=now - 60))
    server.static("/plain.xml", rss([("q1", "No hub here", "x")]))
    feed = FeedConfig(url=self_url, min_interval=1, max_interval=900)
    plain = FeedConfig(url=server.url("/plain.xml"), min_interval=1, max_interval=900)
    names, producer = kafka["names"], kafka["producer"]
    poller = Poller(
        FeedsConfig(poller=OPTIONS, feeds=[feed, plain]),
        kafka_publisher(producer, names.articles),
        KafkaStateStore(kafka["settings"], names.feed_state, producer),
        user_agent="ua",
    )
    await poller.start()
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    manager = WebSubManager(poller, public, lease_seconds=3600)
    callback = web.AppRunner(manager.app())  # the standalone callback app the poller runs
    await callback.setup()
    await web.TCPSite(callback, "127.0.0.1", port).start()
    try:
        assert not poller.hub_found.is_set()
        await poller.poll_once(plain)
        assert not poller.hub_found.is_set(), "no hub, nothing to subscribe"
        await poller.poll_once(feed)
        assert poller.states[feed.url].hub == hub_url
        assert poller.hub_found.is_set(), "a new hub wakes the subscription round at once"
        poller.websub = manager
        async with aiohttp.ClientSession() as session:
            await manager.maintain(session)  # subscribes feed (has a hub), not plain
        assert list(hub.subs) == [self_url]
        assert hub.subs[self_url]["hub.callback"].startswith(public + "/websub/")
        await until(lambda: hub.verified == [self_url])
        sub = poller.states[feed.url].websub or {}
        assert sub["state"] == "active" and sub["lease"] == 7200
        assert poller.states[plain.url].websub is None

        # with push active, polling slows to the safety-net interval
        await poller.poll_once(feed)
        assert poller.states[feed.url].interval == 900

        pushed = rss(
            [("p2", "Pushed second", "y"), ("p1", "Polled first", "x")], extra=links, newest=now
        )
        assert await hub.push(self_url, pushed) == 202
        forged = rss([("p3", "Forged third", "z")], extra=links)
        assert await hub.push(self_url, forged, secret="not-the-secret") == 202  # ignored
        assert (manager.delivered, manager.rejected) == (1, 1)

        arts = await read_articles(kafka["settings"])
        assert sorted(a.title for a in arts) == ["No hub here", "Polled first", "Pushed second"]

        # unknown callbacks and challenges for topics we never asked for are refused
        async with aiohttp.ClientSession() as s:
            bad = {"hub.mode": "subscribe", "hub.topic": "https://evil.test/", "hub.challenge": "c"}
            fid = hub.subs[self_url]["hub.callback"].rsplit("/", 1)[1]
            async with s.get(f"{public}/websub/{fid}", params=bad) as r:
                assert r.status == 404
            async with s.get(f"{public}/websub/nope", params=bad) as r:
                assert r.status == 404

        # a hub that refuses leaves the feed on polling, with the reason recorded
        hub.refuse = True
        async with aiohttp.ClientSession() as session:
            assert not await manager.subscribe(session, feed)
        assert (poller.states[feed.url].websub or {})["state"] == "failed"
        await poller.poll_once(feed)
        # back to the feed's own rhythm: two items in the last minute -> a 30 s gap, polled at 15 s
        assert poller.states[feed.url].interval == pytest.approx(15, abs=1)
    finally:
        await callback.cleanup()
        await poller.stop()
