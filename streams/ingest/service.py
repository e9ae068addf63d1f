"""``run_poller``: the poller process — Kafka producer, state topic, feeds file reload,
status snapshot, optional WebSub callback app — until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from aiohttp import web

from streams.broker import ensure_topics
from streams.errors import ConfigError
from streams.events import Article, dumps
from streams.health import BrokerCheck, HealthServer, Phase, health_routes
from streams.ingest.config import FeedsConfig, load_feeds
from streams.ingest.health import feed_status, write_snapshot
from streams.ingest.poller import Poller, Publish
from streams.ingest.state import KafkaStateStore
from streams.ingest.websub import WebSubManager
from streams.kafka import bootstrap_of, make_producer
from streams.logs import get_logger
from streams.settings import Settings
from streams.topics import topic_names, topic_specs

log = get_logger("poller")

WEBSUB_MAINTAIN_S = 60.0


def kafka_publisher(producer: object, topic: str) -> Publish:
    """Send every article (key = article_id) and wait until the broker has them all."""

    async def publish(articles: Sequence[Article]) -> None:
        futures = [
            await producer.send(topic, dumps(a), key=a.article_id.encode())  # type: ignore[attr-defined]
            for a in articles
        ]
        await asyncio.gather(*futures)

    return publish


def feeds_path(settings: Settings, feeds_file: Path | None) -> Path:
    path = feeds_file or settings.feeds_file
    if path is None:
        raise ConfigError("environment", "NEWSSTREAM_FEEDS_FILE", "no feeds file given (--config)")
    return Path(path)


async def run_poller(settings: Settings, feeds_file: Path | None) -> None:
    path = feeds_path(settings, feeds_file)
    config = load_feeds(path)
    # up before Kafka, so /readyz can say "broker unreachable" while we wait for it
    phase = Phase()
    health = HealthServer(
        "poller",
        settings.health_host,
        settings.poller_port,
        health_routes(BrokerCheck(bootstrap_of(settings)), phase),
    )
    await health.start()
    try:
        await _run(settings, path, config, phase)
    finally:
        await health.stop()


async def _run(settings: Settings, path: Path, config: FeedsConfig, phase: Phase) -> None:
    names = topic_names(settings)
    wanted = {names.articles, names.feed_state}
    await ensure_topics(
        bootstrap_of(settings),
        [s for s in topic_specs(settings) if s.name in wanted],
        settings.replication,
    )
    producer = make_producer(settings)
    await producer.start()
    try:
        store = KafkaStateStore(settings, names.feed_state, producer)
        poller = Poller(
            config, kafka_publisher(producer, names.articles), store, user_agent=settings.user_agent
        )
        await poller.start()
        phase.why = None
        log.info("poller started", extra={"feeds": len(config.feeds), "topic": names.articles})
        await _serve(settings, path, poller)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(producer.stop(), 5.0)
        log.info("poller stopped")


async def _serve(settings: Settings, path: Path, poller: Poller) -> None:
    stop = asyncio.Event()
    reload_now = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig, handler in ((signal.SIGTERM, stop.set), (signal.SIGINT, stop.set)):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, handler)
    with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, reload_now.set)
    runner = await _start_websub(settings, poller)
    snapshot = Path(settings.data_dir) / "feeds-status.json"
    tasks = [
        asyncio.create_task(poller.run()),
        asyncio.create_task(_watch_file(path, poller, reload_now)),
        asyncio.create_task(_write_status(poller, snapshot)),
    ]
    if poller.websub is not None:
        tasks.append(asyncio.create_task(_maintain_websub(poller)))
    try:
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, tasks[0]], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        await poller.stop(timeout=3.0)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        _snapshot(poller, snapshot)
        if runner is not None:
            await runner.cleanup()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


async def _start_websub(settings: Settings, poller: Poller) -> web.AppRunner | None:
    opts = poller.config.poller
    public = opts.websub_public_url or settings.gateway_public_url
    if not public or not opts.websub_listen:
        return None
    manager = WebSubManager(poller, public, opts.websub_lease_seconds)
    host, _, port = opts.websub_listen.rpartition(":")
    runner = web.AppRunner(manager.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, int(port)).start()
    poller.websub = manager
    log.info("websub callback listening", extra={"listen": opts.websub_listen, "public": public})
    return runner


async def _maintain_websub(poller: Poller) -> None:
    manager = poller.websub
    assert isinstance(manager, WebSubManager)
    timeout = aiohttp.ClientTimeout(total=poller.config.poller.total_timeout)
    async with aiohttp.ClientSession(timeout=timeout, trust_env=True) as session:
        while True:
            poller.hub_found.clear()
            try:
                await manager.maintain(session)
            except Exception:
                log.exception("websub maintenance failed")
            # the next round: on schedule, or as soon as a poll discovers a hub
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(poller.hub_found.wait(), WEBSUB_MAINTAIN_S)


def reload_feeds(path: Path, poller: Poller) -> FeedsConfig | None:
    """Load the file again; a bad file is reported and the running config kept."""
    try:
        config = load_feeds(path)
    except ConfigError as exc:
        log.error("feeds file not reloaded", extra={"error": str(exc)})
        return None
    poller.reload(config)
    return config


async def _watch_file(path: Path, poller: Poller, now_event: asyncio.Event) -> None:
    def mtime() -> float | None:
        try:
            return path.stat().st_mtime
        except OSError:
            return None

    seen = mtime()
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(now_event.wait(), poller.config.poller.reload_interval)
        current = mtime()
        if now_event.is_set() or (current is not None and current != seen):
            now_event.clear()
            seen = current
            reload_feeds(path, poller)


def _snapshot(poller: Poller, path: Path) -> None:
    now = time.time()
    try:
        write_snapshot(path, feed_status(poller.config.feeds, poller.states, now), now)
    except OSError as exc:
        log.warning("status snapshot not written", extra={"error": str(exc)})


async def _write_status(poller: Poller, path: Path) -> None:
    while True:
        _snapshot(poller, path)
        await asyncio.sleep(poller.config.poller.status_interval)
