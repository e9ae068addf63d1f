"""Freshness: an item appears on a local feed server → the fake Slack (a real local HTTP
server, tests/fakes/fake_slack.py) receives its alert. The real services run as processes
(`newsstream worker`, `poller`, `notifier`) on the embedded broker; this process serves
the feeds, plays the WebSub hub and runs the fake Slack.

Two feeds: one advertises our hub (WebSub push: the hub posts the new document to the
poller's callback the moment the item appears) and one without a hub, polled every
``poll_s`` seconds. The push feed's state is seeded with its hub on the feed-state topic,
as after a restart: a hub first discovered by a poll is only subscribed at the poller's
next WebSub maintenance round (60 s; see the report).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from common import percentile, producer, say, service_env, spawn, stop
from pipeline import fresh_topics

from streams.broker import free_port
from streams.ingest.state import FeedState
from streams.ingest.websub import sign
from tests.fakes.fake_slack import FakeSlack

# our own fictional headlines, each a different story so each raises its own alert
STORIES = [
    ("Harbour authority in Valmora reopens the north quay after storm repairs", "Port"),
    ("Drone strike on a fuel depot near Kherson sets storage tanks ablaze", "Strike"),
    ("Foreign ministers of Norway and Chile sign a fisheries accord in Oslo", "Diplomacy"),
    ("Court in Lisbon fines a bus operator over missed rural routes", "Courts"),
    ("Factory in Brno doubles its output of artillery shells, ministry says", "Arms"),
    ("Heavy rain floods the old town of Kelso for the second time this month", "Weather"),
    ("Missile attack on Dnipro damages a power substation, officials say", "Strike"),
    ("Ceasefire talks between the two delegations resume in Doha", "Diplomacy"),
    ("Marathon in Osaka draws a record field of 40,000 runners", "Sport"),
    ("City council in Tampere approves a tram line to the airport", "Local"),
    ("Museum in Lagos receives 30 bronzes returned from a private collection", "Culture"),
    ("Shelling of Sumy leaves two dead and a school damaged", "Strike"),
    ("Wildfire near Patras forces the evacuation of three villages", "Fire"),
    ("Central bank of Kenya holds its key rate at 13 percent", "Markets"),
    ("Ambassador summoned in Warsaw over an airspace violation", "Diplomacy"),
    ("Researchers in Hobart tag a rare beaked whale for the first time", "Science"),
]


@dataclass
class Feed:
    path: str
    hub: str | None = None
    items: list[tuple[str, str, str, float]] = field(default_factory=list)  # id, title, text, ts

    def document(self, base: str) -> bytes:
        links = ""
        if self.hub:
            links = (
                f'<atom:link rel="hub" href="{self.hub}"/>'
                f'<atom:link rel="self" href="{base}{self.path}"/>'
            )
        entries = "".join(
            f"<item><title>{escape(t)}</title><link>{base}/story/{i}</link>"
            f"<guid>{i}</guid><pubDate>{formatdate(ts, usegmt=True)}</pubDate>"
            f"<description>{escape(text)}</description></item>"
            for i, t, text, ts in reversed(self.items)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Bench wire</title>'
            f"<link>{base}/</link>{links}{entries}</channel></rss>"
        ).encode()


class Site:
    """Feed server + WebSub hub on one local aiohttp server."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.push = Feed("/push.xml", hub=f"{self.base}/hub")
        self.poll = Feed("/poll.xml")
        self.subs: dict[str, dict[str, str]] = {}
        self.verified: set[str] = set()
        self.poll_gets: list[float] = []  # when the poller asked for the polled feed
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/push.xml", lambda r: self._feed(r, self.push))
        app.router.add_get("/poll.xml", lambda r: self._feed(r, self.poll))
        app.router.add_post("/hub", self._subscribe)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def _feed(self, request: web.Request, feed: Feed) -> web.Response:
        if feed is self.poll:
            self.poll_gets.append(time.monotonic())
        etag = f'"{len(feed.items)}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = feed.document(self.base)
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    async def _subscribe(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.subs[form["hub.topic"]] = form
        asyncio.get_running_loop().create_task(self._verify(form))
        return web.Response(status=202)

    async def _verify(self, form: dict[str, str]) -> None:
        challenge = secrets.token_hex(8)
        q = {"hub.mode": "subscribe", "hub.topic": form["hub.topic"],
             "hub.challenge": challenge, "hub.lease_seconds": "3600"}  # fmt: skip
        async with aiohttp.ClientSession() as s, s.get(form["hub.callback"], params=q) as r:
            if r.status == 200 and await r.text() == challenge:
                self.verified.add(form["hub.topic"])

    async def publish_push(self) -> None:
        topic = self.base + self.push.path
        form = self.subs[topic]
        body = self.push.document(self.base)
        headers = {"Content-Type": "application/rss+xml",
                   "X-Hub-Signature": sign(form["hub.secret"], body, "sha256")}  # fmt: skip
        async with (
            aiohttp.ClientSession() as s,
            s.post(form["hub.callback"], data=body, headers=headers) as r,
        ):
            r.raise_for_status()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


# which stories each phase uses: never the same story twice (a repeat would join the
# earlier one and raise an update, not a new alert)
PUSH_STORIES, POLL_STORIES, SEED_STORIES = 0, 6, 12


def add_item(feed: Feed, n: int) -> str:
    title, kind = STORIES[n]
    token = f"fz{n:03d}{secrets.token_hex(2)}"
    text = f"{title}. ({kind} desk, reference {token}.)"
    feed.items.append((token, f"{title} [{token}]", text, time.time()))
    return token


async def delivered(slack: FakeSlack, token: str, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for r in slack.requests:
            if token.encode() in r.body:
                return r.at
        await asyncio.sleep(0.01)
    return None


async def measure(bootstrap: str, data_dir: Path, n_push: int = 6, n_poll: int = 6,
                  poll_s: float = 5.0) -> dict[str, Any]:  # fmt: skip
    if n_push > POLL_STORIES or n_poll > SEED_STORIES - POLL_STORIES:
        raise ValueError("at most 6 pushed and 6 polled items (one story each)")
    prefix = await fresh_topics(bootstrap, "fresh")
    site, slack = Site(), FakeSlack()
    await site.start()
    await slack.start()
    callback = free_port()
    feeds = {
        "poller": {"allow_private": ["127.0.0.1"], "jitter": 0.0, "per_host_rate": 50,
                   "websub_listen": f"127.0.0.1:{callback}",
                   "websub_public_url": f"http://127.0.0.1:{callback}"},
        "feeds": [
            {"url": site.base + "/push.xml", "outlet": "Push wire", "min_interval": 300,
             "max_interval": 900},
            {"url": site.base + "/poll.xml", "outlet": "Poll wire", "min_interval": poll_s,
             "max_interval": poll_s},
        ],
    }  # fmt: skip
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "feeds.yaml").write_text(yaml.safe_dump(feeds))
    (data_dir / "alerts.yaml").write_text(yaml.safe_dump({"rules": [{"name": "all"}]}))
    seed = FeedState(site.base + "/push.xml", hub=site.push.hub, topic=site.base + "/push.xml")
    prod = producer(bootstrap)
    await prod.start()
    await prod.send_and_wait(f"{prefix}feed-state", seed.to_bytes(), key=seed.url.encode())
    await prod.stop()
    seeds = [add_item(site.push, SEED_STORIES), add_item(site.poll, SEED_STORIES + 1)]
    env = service_env(
        bootstrap, prefix, data_dir,
        NEWSSTREAM_FEEDS_FILE=str(data_dir / "feeds.yaml"),
        NEWSSTREAM_ALERTS_FILE=str(data_dir / "alerts.yaml"),
        NEWSSTREAM_SLACK_WEBHOOK_URL=slack.webhook_url("bench"),
        NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS='["127.0.0.1"]',
        NEWSSTREAM_WORKER_WEB_PORT=str(free_port()),
        NEWSSTREAM_POLLER_PORT=str(free_port()),
        NEWSSTREAM_NOTIFIER_PORT=str(free_port()),
    )  # fmt: skip
    procs = [
        spawn([*_cli(), name, *args], env, data_dir / f"{name}.log")
        for name, args in (("worker", ["--index", "0"]), ("poller", []), ("notifier", []))
    ]
    push: list[float | None] = []
    poll: list[float | None] = []
    gaps: list[float] = []
    try:
        for token in seeds:  # the whole chain works (and every process is warm)
            if await delivered(slack, token, 90) is None:
                raise RuntimeError(f"freshness: the seed alert never reached Slack ({data_dir})")
        if site.base + "/push.xml" not in site.verified:
            raise RuntimeError("freshness: the poller never completed the WebSub subscription")
        say("freshness: pipeline warm; measuring WebSub push")
        for k in range(n_push):
            token = add_item(site.push, PUSH_STORIES + k)
            t0 = time.monotonic()
            await site.publish_push()
            at = await delivered(slack, token, 30)
            push.append(None if at is None else at - t0)
            await asyncio.sleep(1.2)  # Slack's 1 message/s budget
        say(f"freshness: push {push}; measuring polling every {poll_s:.0f} s")
        for k in range(n_poll):
            # items at evenly spread phases of the poll clock, measured from a real poll
            seen = len(site.poll_gets)
            while len(site.poll_gets) == seen:
                await asyncio.sleep(0.005)
            await asyncio.sleep((k + 0.5) / n_poll * poll_s)
            token = add_item(site.poll, POLL_STORIES + k)
            t0 = time.monotonic()
            at = await delivered(slack, token, poll_s + 30)
            poll.append(None if at is None else at - t0)
        gets = site.poll_gets[-n_poll * 2 :]
        gaps = [b - a for a, b in itertools.pairwise(gets)]
        say(f"freshness: poll {poll}; observed poll gaps {[round(g, 2) for g in gaps]}")
    finally:
        stop(procs)
        await slack.stop()
        await site.stop()
    return {"push_s": push, "poll_s": poll, "poll_interval_s": poll_s,
            "push_p50_s": percentile([x for x in push if x is not None], 50),
            "push_max_s": max((x for x in push if x is not None), default=None),
            "poll_p50_s": percentile([x for x in poll if x is not None], 50),
            "poll_max_s": max((x for x in poll if x is not None), default=None),
            "lost": sum(x is None for x in push + poll),
            "observed_poll_gap_s": percentile(gaps, 50)}  # fmt: skip


def _cli() -> list[str]:
    import sys

    return [sys.executable, "-m", "streams"]
