"""The poller service: fetch each feed on its own schedule, publish new and changed items once.

Push (WebSub) deliveries come in through ``ingest_document``, the same parse →
normalise → compare → publish path a poll takes. Per feed, one thing at a time (a
lock), so a push and a poll never race on the remembered items.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from streams.errors import InputError, NewsstreamError, RetryLater, TransientError
from streams.events import Article
from streams.ingest import schedule
from streams.ingest.config import FeedConfig, FeedsConfig
from streams.ingest.fetch import FeedGone, Fetcher, FetchResult
from streams.ingest.normalize import (
    FeedContext,
    changed_fields,
    field_hashes,
    normalise_feed,
    short_hash,
)
from streams.ingest.parse import ParsedFeed, parse_feed
from streams.ingest.state import FeedState, StateStore
from streams.logs import get_logger
from streams.metrics import STAGE_ARTICLES, FeedCounters

log = get_logger("poller")
BIG_DOCUMENT = 256 * 1024  # bytes: parse in a thread above this

Publish = Callable[[Sequence[Article]], Awaitable[None]]
RHYTHM_KEEP = 40
PUBLISHED = STAGE_ARTICLES.labels("published")


@dataclass(slots=True)
class PollOutcome:
    feed_url: str
    status: str  # new | not_modified | unchanged | error | gone | disabled
    new: int = 0
    updated: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


class Poller:
    def __init__(
        self,
        config: FeedsConfig,
        publish: Publish,
        store: StateStore,
        *,
        user_agent: str,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.publish = publish
        self.store = store
        self.user_agent = user_agent
        self.fetcher = Fetcher(config.poller, config.poller.user_agent or user_agent)
        self.rng = rng or random.Random()
        self.states: dict[str, FeedState] = {}
        self.feeds: dict[str, FeedConfig] = {f.url: f for f in config.feeds}
        self.locks: dict[str, asyncio.Lock] = {}
        self.websub: object | None = None  # a WebSubManager, set by the service
        # set when a poll finds a hub we did not know: subscribe now, not at the next round
        self.hub_found = asyncio.Event()
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._old_fetchers: list[Fetcher] = []
        self.polls = 0
        self._counters: dict[str, FeedCounters] = {}

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        self.states = await self.store.load()
        await self.fetcher.start()
        for url in self.feeds:
            self._schedule(url, self.states.get(url, FeedState(url)).next_poll)

    async def run(self) -> None:
        """Poll until ``stop()``; call ``start()`` first (run() does if you did not)."""
        if not self.fetcher.session:
            await self.start()
        limit = asyncio.Semaphore(self.config.poller.concurrency)
        while not self._stopping.is_set():
            now = time.time()
            while self._heap and self._heap[0][0] <= now and not self._stopping.is_set():
                _, _, url = heapq.heappop(self._heap)
                feed = self.feeds.get(url)
                if feed is None or not feed.enabled or url in self._inflight:
                    continue
                await limit.acquire()
                self._inflight.add(url)
                task = asyncio.create_task(self._poll_task(feed, limit))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            delay = min(self._heap[0][0] - time.time(), 1.0) if self._heap else 1.0
            self._wake.clear()
            if delay > 0:
                waits = [asyncio.create_task(self._wake.wait())]
                await asyncio.wait(waits, timeout=delay)
                for w in waits:
                    w.cancel()

    async def stop(self, timeout: float = 3.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for t in pending:
                t.cancel()
        for f in [self.fetcher, *self._old_fetchers]:
            await f.close()

    def reload(self, config: FeedsConfig) -> None:
        """Take a new feeds file: new feeds are polled now, removed ones stop; nothing
        already published is sent again (the remembered items stay)."""
        if config.poller != self.config.poller:
            self._old_fetchers.append(self.fetcher)
            self.fetcher = Fetcher(config.poller, config.poller.user_agent or self.user_agent)
        old = self.feeds
        self.config = config
        self.feeds = {f.url: f for f in config.feeds}
        for url in self.feeds.keys() - old.keys():
            state = self.state_of(url)
            if state.disabled:  # re-added on purpose after a 410: give it another chance
                state.disabled, state.disabled_reason = False, None
            self._schedule(url, state.next_poll)
        log.info("feeds reloaded", extra={"feeds": len(self.feeds)})
        self._wake.set()

    def _schedule(self, url: str, at: float) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), url))
        self._wake.set()

    async def _poll_task(self, feed: FeedConfig, limit: asyncio.Semaphore) -> None:
        try:
            await self.poll_once(feed)
        except Exception:  # a bug in one feed's poll must not stop the others
            log.exception("poll failed", extra={"feed_url": feed.url})
        finally:
            self._inflight.discard(feed.url)
            limit.release()
            state = self.states.get(feed.url)
            if feed.url in self.feeds and state is not None and not state.disabled:
                # a poll that died half-way must not leave a due time in the past (busy loop)
                state.next_poll = max(state.next_poll, time.time() + feed.min_interval / 2)
                self._schedule(feed.url, state.next_poll)

    # ---- one feed --------------------------------------------------------------------
    def state_of(self, url: str) -> FeedState:
        state = self.states.get(url)
        if state is None:
            state = self.states[url] = FeedState(url)
        return state

    def _counted(self, feed: FeedConfig, outcome: PollOutcome) -> PollOutcome:
        name = feed.display_name()
        counters = self._counters.get(name)
        if counters is None:
            counters = self._counters[name] = FeedCounters(name)
        counters.count(outcome.status, outcome.new, outcome.updated)
        return outcome

    async def poll_once(self, feed: FeedConfig) -> PollOutcome:
        return self._counted(feed, await self._poll_once(feed))

    async def _poll_once(self, feed: FeedConfig) -> PollOutcome:
        state = self.state_of(feed.url)
        if state.disabled:
            return PollOutcome(feed.url, "disabled", error=state.disabled_reason)
        lock = self.locks.setdefault(feed.url, asyncio.Lock())
        async with lock:
            self.polls += 1
            now = time.time()
            state.last_poll = now
            try:
                res = await self.fetcher.fetch(state.fetch_url, state.etag, state.last_modified)
            except FeedGone as exc:
                return await self._gone(feed, state, str(exc))
            except NewsstreamError as exc:
                return await self._failed(feed, state, exc, now)
            moved = res.permanent_url is not None and res.permanent_url != state.current_url
            if moved:
                log.info(
                    "feed moved permanently", extra={"feed_url": feed.url, "to": res.permanent_url}
                )
                state.current_url = res.permanent_url
            if res.status == 304:
                return await self._not_modified(feed, state, res, now, dirty=moved)
            try:
                return await self._ingest(feed, state, res.body, res.content_type, now, res)
            except (InputError, TransientError) as exc:
                return await self._failed(feed, state, exc, now)

    async def ingest_document(
        self, feed: FeedConfig, body: bytes, content_type: str | None = None
    ) -> PollOutcome:
        """A pushed document (WebSub): same path as a poll's 200, no validators."""
        state = self.state_of(feed.url)
        async with self.locks.setdefault(feed.url, asyncio.Lock()):
            try:
                outcome = await self._ingest(feed, state, body, content_type, time.time(), None)
            except InputError as exc:
                log.warning(
                    "pushed document rejected", extra={"feed_url": feed.url, "error": str(exc)}
                )
                outcome = PollOutcome(feed.url, "error", error=str(exc))
            return self._counted(feed, outcome)

    async def _ingest(
        self,
        feed: FeedConfig,
        state: FeedState,
        body: bytes,
        content_type: str | None,
        now: float,
        res: FetchResult | None,
    ) -> PollOutcome:
        body_hash = short_hash(body.decode("latin-1"))
        if res is not None and body_hash == state.body_hash:  # a 200 that did not change
            return await self._not_modified(feed, state, res, now, dirty=False)
        base = res.url if res is not None else state.fetch_url
        ctx = FeedContext(feed.url, feed.display_name(), feed.language, list(feed.tags))

        def parse() -> tuple[ParsedFeed, list[Article]]:
            parsed = parse_feed(body, base_url=base, content_type=content_type)
            return parsed, normalise_feed(parsed, ctx, now, base_url=base)

        # A big document can take a second to parse: off the loop, so it never holds up the
        # other feeds' fetches and timeouts. Typical feeds (tens of KB) parse inline.
        if len(body) > BIG_DOCUMENT:
            parsed, articles = await asyncio.to_thread(parse)
        else:
            parsed, articles = parse()
        for w in parsed.warnings:
            log.warning("feed warning", extra={"feed_url": feed.url, "error": w})
        fresh, times = self._compare(state, articles, now)
        if fresh:
            try:  # before remembering: a failed send is retried next poll
                await self.publish(fresh)
            except Exception as exc:
                raise TransientError(f"publish failed: {type(exc).__name__}: {exc}") from exc
        limit = self.config.poller.remember_items
        for art in reversed(articles):
            state.remember(art.article_id, field_hashes(art.title, art.summary, art.content), limit)
        new = sum(1 for a in fresh if a.kind == "new")
        state.items_seen += new
        if times:
            state.item_times = sorted([*state.item_times, *times])[-RHYTHM_KEEP:]
            state.last_new_item = now
        hub = parsed.hub or (res.hub if res is not None else None) or state.hub
        if hub != state.hub:
            self.hub_found.set()
        state.hub = hub
        state.topic = parsed.self_url or (res.self_url if res is not None else None) or state.topic
        state.hint = schedule.server_hint(None, None, parsed.ttl_s, parsed.update_period_s)
        if res is not None:
            state.etag, state.last_modified, state.body_hash = (
                res.etag,
                res.last_modified,
                body_hash,
            )
        self._succeeded(feed, state, res, now)
        await self.store.save(state)
        PUBLISHED.inc(len(fresh))
        for art in fresh:  # the first line of an article's trail (docs/operations.md)
            log.info(
                "published",
                extra={"feed_url": feed.url, "article_id": art.article_id, "kind": art.kind},
            )
        status = "new" if fresh else "unchanged"
        return PollOutcome(feed.url, status, new, len(fresh) - new, warnings=parsed.warnings)

    def _compare(
        self, state: FeedState, articles: list[Article], now: float
    ) -> tuple[list[Article], list[float]]:
        fresh: list[Article] = []
        times: list[float] = []
        for art in reversed(articles):  # oldest first, as they happened
            hashes = field_hashes(art.title, art.summary, art.content)
            old = state.items.get(art.article_id)
            if old is None:
                fresh.append(art)
                times.append(_ts(art.published) if art.published_flag is None else now)
            elif old != hashes:
                art.kind = "updated"
                art.changed_fields = changed_fields(old, hashes)
                fresh.append(art)
        return fresh, times

    async def _not_modified(
        self, feed: FeedConfig, state: FeedState, res: FetchResult, now: float, dirty: bool
    ) -> PollOutcome:
        dirty = dirty or state.consecutive_errors > 0 or state.last_status != res.status
        self._succeeded(feed, state, res, now)
        if dirty:
            await self.store.save(state)
        return PollOutcome(feed.url, "not_modified")

    def _succeeded(
        self, feed: FeedConfig, state: FeedState, res: FetchResult | None, now: float
    ) -> None:
        state.last_success = now
        state.consecutive_errors = 0
        state.last_status = res.status if res is not None else state.last_status
        hint = state.hint
        if res is not None:
            hint = schedule.server_hint(res.max_age, res.expires_in, state.hint, None)
        interval = schedule.next_interval(
            state.item_times, now, feed.min_interval, feed.max_interval, hint
        )
        if self.websub is not None and _push_active(state, now):
            interval = feed.max_interval  # push delivers; polling is only the safety net
        state.interval = interval
        jittered = schedule.with_jitter(interval, self.config.poller.jitter, self.rng.random())
        state.next_poll = now + max(feed.min_interval, jittered)

    async def _failed(
        self, feed: FeedConfig, state: FeedState, exc: NewsstreamError, now: float
    ) -> PollOutcome:
        state.consecutive_errors += 1
        state.last_error = f"{type(exc).__name__}: {exc}"
        state.last_error_at = now
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        delay = schedule.error_backoff(
            state.consecutive_errors, feed.min_interval, self.config.poller.max_backoff, retry_after
        )
        state.interval = delay
        state.next_poll = now + delay
        log.warning(
            "poll failed",
            extra={"feed_url": feed.url, "error": state.last_error, "retry_in": round(delay, 1)},
        )
        await self.store.save(state)
        return PollOutcome(feed.url, "error", error=state.last_error)

    async def _gone(self, feed: FeedConfig, state: FeedState, reason: str) -> PollOutcome:
        state.disabled = True
        state.disabled_reason = reason
        state.last_error = reason
        state.last_error_at = time.time()
        log.warning(
            "feed is gone (410): disabled; remove it from the feeds file or fix its URL",
            extra={"feed_url": feed.url},
        )
        await self.store.save(state)
        return PollOutcome(feed.url, "gone", error=reason)


def _push_active(state: FeedState, now: float) -> bool:
    sub = state.websub
    return bool(sub and sub.get("state") == "active" and float(sub.get("lease_expires", 0)) > now)


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
