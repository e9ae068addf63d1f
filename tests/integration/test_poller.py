"""The poller against a real local HTTP server and the real embedded broker."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiokafka import TopicPartition

from streams.broker import EmbeddedBroker, ensure_topics
from streams.events import Article, loads
from streams.ingest.config import FeedConfig, FeedsConfig, PollerOptions
from streams.ingest.poller import Poller
from streams.ingest.service import kafka_publisher
from streams.ingest.state import FeedState, KafkaStateStore, MemoryStateStore
from streams.kafka import make_consumer, make_producer
from streams.settings import Settings
from streams.topics import topic_names, topic_specs
from tests.integration.feedserver import FeedServer, rss, start_feed_server

pytestmark = pytest.mark.integration

OPTIONS = PollerOptions(
    allow_private=["127.0.0.1"], per_host_rate=1000, read_timeout=1.0, total_timeout=5.0,
    max_body_bytes=64 * 1024, max_decompressed_bytes=256 * 1024, jitter=0.0,
)  # fmt: skip


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    fs = await start_feed_server()
    yield fs
    await fs.server.close()


@pytest.fixture
async def kafka(broker: EmbeddedBroker, topic_prefix: str) -> AsyncIterator[dict[str, Any]]:
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix=topic_prefix)
    await ensure_topics(broker.bootstrap, topic_specs(settings))
    producer = make_producer(settings)
    await producer.start()
    yield {"settings": settings, "producer": producer, "names": topic_names(settings)}
    await producer.stop()


async def read_articles(settings: Settings) -> list[Article]:
    topic = topic_names(settings).articles
    consumer = make_consumer(settings, group_id=None)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[Article] = []
        while sum(ends.values()) > len(out):
            for records in (await consumer.getmany(*tps, timeout_ms=500)).values():
                for r in records:
                    art = loads(Article, r.value)
                    assert r.key == art.article_id.encode()
                    out.append(art)
        return out
    finally:
        await consumer.stop()


def kafka_poller(kafka: dict[str, Any], feeds: list[FeedConfig], **opts: Any) -> Poller:
    settings, producer = kafka["settings"], kafka["producer"]
    config = FeedsConfig(poller=OPTIONS.model_copy(update=opts), feeds=feeds)
    store = KafkaStateStore(settings, kafka["names"].feed_state, producer)
    return Poller(
        config, kafka_publisher(producer, kafka["names"].articles), store, user_agent="ua"
    )


class Collect:
    """A publish callable that keeps what it was given (for tests about HTTP, not Kafka)."""

    def __init__(self) -> None:
        self.articles: list[Article] = []

    async def __call__(self, articles: Any) -> None:
        self.articles.extend(articles)


def memory_poller(feeds: list[FeedConfig], **opts: Any) -> tuple[Poller, Collect]:
    sink = Collect()
    config = FeedsConfig(poller=OPTIONS.model_copy(update=opts), feeds=feeds)
    return Poller(config, sink, MemoryStateStore(), user_agent="newsstream-test/1"), sink


ITEMS = [("a3", "Third story", "Text three"), ("a2", "Second", "Two"), ("a1", "First", "One")]


async def test_publish_once_conditional_get_updates_and_restart(
    server: FeedServer, kafka: dict[str, Any]
) -> None:
    feed = FeedConfig(url=server.url("/wire.xml"), outlet="Wire", min_interval=1, tags=["t"])
    server.static(
        "/wire.xml", rss(ITEMS), etag='W/"v1"', last_modified="Tue, 14 May 2024 10:00:00 GMT"
    )
    poller = kafka_poller(kafka, [feed])
    await poller.start()
    first = await poller.poll_once(feed)
    assert (first.status, first.new) == ("new", 3)
    second = await poller.poll_once(feed)
    assert second.status == "not_modified"
    hit = server.hits("/wire.xml")[-1]
    assert hit["If-None-Match"] == 'W/"v1"'  # sent back exactly as received
    assert hit["If-Modified-Since"] == "Tue, 14 May 2024 10:00:00 GMT"
    assert hit["User-Agent"] == "ua"

    changed = [("a4", "Fourth", "Four"), ("a3", "Third story, updated", "Text three"), *ITEMS[1:]]
    server.static("/wire.xml", rss(changed), etag='"v2"')
    third = await poller.poll_once(feed)
    assert (third.new, third.updated) == (1, 1)

    # A restarted poller reads the state topic: the same document sends nothing again,
    # even when the server ignores validators.
    server.static("/wire.xml", rss(changed), etag='"v3"')
    restarted = kafka_poller(kafka, [feed])
    await restarted.start()
    assert restarted.states[feed.url].etag == '"v2"'
    again = await restarted.poll_once(feed)
    assert again.status == "not_modified"  # same bytes under a new ETag: not even parsed
    server.static("/wire.xml", rss(changed, title="Test Wire (rebuilt)"), etag='"v4"')
    again = await restarted.poll_once(feed)
    assert (again.status, again.new, again.updated) == ("unchanged", 0, 0)
    await poller.stop()
    await restarted.stop()

    arts = await read_articles(kafka["settings"])
    assert [(a.title, a.kind) for a in arts if a.kind == "updated"] == [
        ("Third story, updated", "updated")
    ]
    assert sorted(a.title for a in arts if a.kind == "new") == [
        "First", "Fourth", "Second", "Third story",
    ]  # fmt: skip
    upd = next(a for a in arts if a.kind == "updated")
    assert upd.changed_fields == ["title"]
    assert upd.article_id == next(a.article_id for a in arts if a.title == "Third story")
    assert all(a.outlet == "Wire" and a.feed_tags == ["t"] for a in arts)


async def test_redirects_gone_and_private(server: FeedServer) -> None:
    async def moved(request: web.Request) -> web.StreamResponse:
        return web.Response(status=301, headers={"Location": "/hop"})

    async def temporary(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/final.xml"})

    async def gone(request: web.Request) -> web.StreamResponse:
        return web.Response(status=410)

    server.handlers.update({"/old.xml": moved, "/hop": temporary, "/gone.xml": gone})
    server.static("/final.xml", rss(ITEMS))
    old = FeedConfig(url=server.url("/old.xml"), min_interval=1)
    dead = FeedConfig(url=server.url("/gone.xml"), min_interval=1)
    poller, _ = memory_poller([old, dead])
    try:
        assert (await poller.poll_once(old)).new == 3
        # 301 then 302: only the permanent hop is remembered
        assert poller.states[old.url].current_url == server.url("/hop")
        await poller.poll_once(old)
        assert len(server.hits("/old.xml")) == 1 and len(server.hits("/hop")) == 2

        out = await poller.poll_once(dead)
        assert out.status == "gone" and poller.states[dead.url].disabled
        assert (await poller.poll_once(dead)).status == "disabled"
        assert len(server.hits("/gone.xml")) == 1
    finally:
        await poller.stop()

    blocked, _ = memory_poller([old], allow_private=[])
    try:
        out = await blocked.poll_once(old)
        assert out.status == "error" and "private address" in (out.error or "")
        assert len(server.hits("/old.xml")) == 1  # no request was made
    finally:
        await blocked.stop()


async def test_retry_after_and_backoff(server: FeedServer) -> None:
    answers = iter([429, 503, 500, 500])

    async def busy(request: web.Request) -> web.StreamResponse:
        status = next(answers)
        headers = {"Retry-After": "7"} if status in (429, 503) else {}
        return web.Response(status=status, headers=headers)

    server.handlers["/busy.xml"] = busy
    feed = FeedConfig(url=server.url("/busy.xml"), min_interval=1)
    poller, _ = memory_poller([feed])
    try:
        delays = []
        for _ in range(4):
            before = time.time()
            out = await poller.poll_once(feed)
            assert out.status == "error"
            delays.append(round(poller.states[feed.url].next_poll - before))
        state = poller.states[feed.url]
        assert delays == [7, 7, 120, 240]  # Retry-After obeyed, then exponential backoff
        assert state.consecutive_errors == 4 and state.last_error == "TransientError: HTTP 500"
        server.static("/busy.xml", rss(ITEMS))
        assert (await poller.poll_once(feed)).new == 3
        assert poller.states[feed.url].consecutive_errors == 0
    finally:
        await poller.stop()


async def test_slow_gzip_oversized_and_bad_charset(server: FeedServer) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        await resp.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
        await asyncio.sleep(3)
        return resp

    async def gzipped(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        return web.Response(body=gzip.compress(rss(ITEMS)), headers=headers)

    async def bomb(request: web.Request) -> web.StreamResponse:
        body = gzip.compress(rss(ITEMS) + b" " * 2_000_000)
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()  # chunked: no Content-Length to refuse up front
        await resp.prepare(request)
        for _ in range(100):
            await resp.write(b"x" * 4096)
        return resp

    async def latin(request: web.Request) -> web.StreamResponse:
        body = rss([("c1", "Caf\u00e9 owners protest", "Prices")]).replace(
            b"Caf\xc3\xa9", b"Caf\xe9"
        )
        return web.Response(body=body, headers={"Content-Type": "text/xml; charset=utf-8"})

    server.handlers.update(
        {
            "/slow.xml": slow,
            "/gz.xml": gzipped,
            "/bomb.xml": bomb,
            "/huge.xml": huge,
            "/cs.xml": latin,
        }
    )
    feeds = {p: FeedConfig(url=server.url(p), min_interval=1) for p in server.handlers}
    poller, sink = memory_poller(list(feeds.values()))
    try:
        started = time.monotonic()
        out = await poller.poll_once(feeds["/slow.xml"])
        assert "timed out" in (out.error or "") and time.monotonic() - started < 2.5
        assert (await poller.poll_once(feeds["/gz.xml"])).new == 3
        assert server.hits("/gz.xml")[0]["Accept-Encoding"] == "gzip, deflate"
        out = await poller.poll_once(feeds["/bomb.xml"])
        assert "decompressed body over" in (out.error or "")
        out = await poller.poll_once(feeds["/huge.xml"])
        assert "cap" in (out.error or "")
        out = await poller.poll_once(feeds["/cs.xml"])
        assert out.new == 1 and out.warnings
        assert sink.articles[-1].title == "Café owners protest"
    finally:
        await poller.stop()


async def test_run_loop_reload_and_stop(server: FeedServer, tmp_path: Path) -> None:
    for name in ("one", "two", "three"):
        server.static(f"/{name}.xml", rss([(f"{name}-1", f"{name} story", "x")]))
    one, two, three = (
        FeedConfig(url=server.url(f"/{n}.xml"), min_interval=1, max_interval=1)
        for n in ("one", "two", "three")
    )
    poller, sink = memory_poller([one, two])
    await poller.start()
    task = asyncio.create_task(poller.run())

    async def until(cond: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, "condition not reached"
            await asyncio.sleep(0.02)

    await until(lambda: len(sink.articles) == 2)
    poller.reload(FeedsConfig(poller=poller.config.poller, feeds=[two, three]))
    await until(lambda: len(sink.articles) == 3)
    assert sorted(a.title for a in sink.articles) == ["one story", "three story", "two story"]
    await until(lambda: len(server.hits("/two.xml")) >= 2 or task.done())
    assert not task.done(), task.exception()
    hits_one = len(server.hits("/one.xml"))
    started = time.monotonic()
    await poller.stop()
    await asyncio.wait_for(task, 3)
    assert time.monotonic() - started < 3
    assert len(server.hits("/one.xml")) == hits_one == 1  # removed feeds are not polled
    assert len(sink.articles) == 3  # nothing re-published by the reload or re-polls
    assert isinstance(poller.states[two.url], FeedState)


async def test_run_poller_service_stops_on_sigterm(
    server: FeedServer, broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    import os
    import signal

    import orjson

    from streams.ingest.service import run_poller

    server.static("/svc.xml", rss(ITEMS))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "poller: {allow_private: ['127.0.0.1'], status_interval: 0.1, reload_interval: 0.1}\n"
        f"feeds:\n  - url: {server.url('/svc.xml')}\n    outlet: Svc\n"
    )
    settings = Settings(
        kafka_bootstrap=broker.bootstrap, topic_prefix=topic_prefix, data_dir=tmp_path
    )
    task = asyncio.create_task(run_poller(settings, feeds))
    status = tmp_path / "feeds-status.json"
    for _ in range(250):
        if status.exists() and orjson.loads(status.read_bytes())["feeds"][0]["items_seen"] == 3:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the poller never reported 3 items")
    started = time.monotonic()
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 5
    assert len(await read_articles(settings)) == 3
