"""Poller throughput on one core against a local HTTP server (no Kafka: publish is a no-op
sink, state in memory, so this measures fetch + parse + normalise + compare).

    .venv/bin/python benchmarks/bench_poller.py [--feeds 2000] [--changed 0.05] [--seconds 5]

Prints: feeds polled/s when most answer 304; CPU ms per parsed item; changed 50-item
feeds parsed/s. The HTTP server runs in a child process so the poller has its core.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from streams.ingest.config import FeedConfig, FeedsConfig, PollerOptions
from streams.ingest.poller import Poller
from streams.ingest.state import MemoryStateStore


def feed_doc(n: int, version: int, items: int = 50) -> bytes:
    parts = []
    for i in range(items):
        k = version * items + i
        parts.append(
            f"<item><title>Feed {n} story {k}: council &amp; port agree</title>"
            f"<link>https://wire.test/{n}/{k}?utm_source=rss</link><guid>f{n}-{k}</guid>"
            f"<description><![CDATA[<p>Paragraph one of story {k}.</p><p>Two.</p>]]></description>"
            f"<pubDate>{formatdate(1715800000 + k * 60, usegmt=True)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>https://wire.test/{n}/</link>{''.join(parts)}"
        "</channel></rss>"
    ).encode()


def serve(port: int, changed_every: int, ready: Any) -> None:
    """Feed n answers 304 to its ETag unless n % changed_every == 0 (then a new version)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {1})
    versions: dict[int, int] = {}
    cache: dict[tuple[int, int], bytes] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        every = 1 if request.match_info["kind"] == "c" else changed_every
        changes = every > 0 and n % every == 0
        v = versions.get(n, 0)
        if changes and request.headers.get("If-None-Match"):
            v = versions[n] = v + 1
        etag = f'"{n}-{v}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = cache.get((n, v)) or cache.setdefault((n, v), feed_doc(n, v))
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    app = web.Application()
    app.router.add_get("/{kind}/{n}", handler)
    ready.set()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def run(feeds: int, kind: str, seconds: float, port: int) -> dict[str, float]:
    published = 0

    async def sink(articles: Any) -> None:
        nonlocal published
        published += len(articles)

    opts = PollerOptions(
        allow_private=["127.0.0.1"], concurrency=256, per_host_concurrency=256,
        per_host_rate=100_000, jitter=0.0,
    )  # fmt: skip
    cfgs = [FeedConfig(url=f"http://127.0.0.1:{port}/{kind}/{n}") for n in range(feeds)]
    poller = Poller(FeedsConfig(poller=opts, feeds=cfgs), sink, MemoryStateStore(), user_agent="b")
    await poller.start()
    sem = asyncio.Semaphore(256)

    async def one(cfg: FeedConfig) -> None:
        async with sem:
            await poller.poll_once(cfg)

    # warm-up: every feed fetched once with a 200 (parsed), so later polls are conditional
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(c) for c in cfgs))
    warm_wall, warm_cpu = time.perf_counter() - t0, time.process_time() - c0
    warm_items = published
    polls = 0
    published = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        await asyncio.gather(*(one(c) for c in cfgs))
        polls += feeds
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await poller.stop()
    return {
        "warm_feeds_per_s": feeds / warm_wall,
        "warm_cpu_ms_per_item": 1000 * warm_cpu / max(1, warm_items),
        "polls_per_s": polls / wall,
        "cpu_per_poll_ms": 1000 * cpu / polls,
        "new_items": published,
        "rounds": polls / feeds,
    }


def measure(feeds: int = 2000, changed_every: int = 100, seconds: float = 5.0) -> dict[str, Any]:
    """Both runs (mostly 304; every feed changed) with the poller pinned to one core and the
    HTTP server in a child process on the other; this process's affinity is restored."""
    from streams.broker import free_port

    pinned = hasattr(os, "sched_setaffinity")
    before = os.sched_getaffinity(0) if pinned else set()
    port = free_port()
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=serve, args=(port, changed_every, ready), daemon=True)
    proc.start()
    ready.wait(10)
    time.sleep(0.5)
    try:
        if pinned:
            os.sched_setaffinity(0, {0})  # the poller on one core, the server on the other
        mostly_304 = asyncio.run(run(feeds, "f", seconds, port))
        all_changed = asyncio.run(run(200, "c", seconds, port))
    finally:
        if pinned:
            os.sched_setaffinity(0, before)
        proc.terminate()
        proc.join(5)
    return {"feeds": feeds, "changed_every": changed_every, "mostly_304": mostly_304,
            "all_changed": all_changed}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--changed-every", type=int, default=100, help="1 feed in N changes per poll")
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    m = measure(args.feeds, args.changed_every, args.seconds)
    mostly_304, all_changed = m["mostly_304"], m["all_changed"]
    print(f"feeds={args.feeds} (1 in {args.changed_every} gains 50 items per poll), one core")
    print(f"  polls/s, mostly 304:          {mostly_304['polls_per_s']:8.0f}")
    print(f"  CPU per poll, mostly 304:     {mostly_304['cpu_per_poll_ms']:8.3f} ms")
    print(f"  first poll (all 200, parsed): {mostly_304['warm_feeds_per_s']:8.0f} feeds/s")
    print(f"  CPU per parsed item:          {mostly_304['warm_cpu_ms_per_item']:8.3f} ms")
    print(f"  changed 50-item feeds/s:      {all_changed['polls_per_s']:8.1f}")
    print(f"  CPU per changed feed:         {all_changed['cpu_per_poll_ms']:8.1f} ms")


if __name__ == "__main__":
    main()
