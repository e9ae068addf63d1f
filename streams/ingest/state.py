"""What the poller remembers per feed, and where it keeps it.

``FeedState`` is plain data (validators, ids of items already published, rhythm,
errors). ``KafkaStateStore`` keeps the latest state of every feed in the compacted
topic ``<prefix>feed-state`` (key = the feed URL from the config) and reads it back in
full at start-up, so a restarted poller neither re-publishes old items nor forgets
its validators. ``MemoryStateStore`` is the same interface in a dict (batch, bench).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from streams.logs import get_logger

log = get_logger("poller")

STATE_VERSION = 1


@dataclass(slots=True)
class FeedState:
    url: str  # the feed as configured: the key, never changes
    current_url: str | None = None  # where the feed lives now, after 301/308
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # skip parsing a 200 whose body did not change
    items: dict[str, str] = field(default_factory=dict)  # article_id -> field hashes, oldest first
    item_times: list[float] = field(default_factory=list)  # recent item times (rhythm)
    interval: float | None = None
    hint: float | None = None  # the server's "not before" (cache headers, ttl)
    next_poll: float = 0.0
    last_poll: float | None = None
    last_success: float | None = None
    last_new_item: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    last_status: int | None = None
    consecutive_errors: int = 0
    items_seen: int = 0
    disabled: bool = False
    disabled_reason: str | None = None
    hub: str | None = None
    topic: str | None = None  # the feed's self URL, the WebSub topic
    websub: dict[str, Any] | None = None  # secret, topic, callback, state, lease_expires
    version: int = STATE_VERSION

    @property
    def fetch_url(self) -> str:
        return self.current_url or self.url

    def remember(self, article_id: str, hashes: str, limit: int) -> None:
        """Remember an item; forget the oldest beyond ``limit`` so state stays bounded."""
        self.items.pop(article_id, None)
        self.items[article_id] = hashes
        excess = len(self.items) - limit
        if excess > 0:
            for key in list(self.items)[:excess]:
                del self.items[key]

    def to_bytes(self) -> bytes:
        return orjson.dumps(self)  # orjson encodes (slots) dataclasses natively, and fast

    @classmethod
    def from_bytes(cls, raw: bytes) -> FeedState:
        data = orjson.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise ValueError("feed state without a url")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class StateStore(Protocol):
    async def load(self) -> dict[str, FeedState]: ...

    async def save(self, state: FeedState) -> None: ...

    async def close(self) -> None: ...


class MemoryStateStore:
    def __init__(self) -> None:
        self.states: dict[str, bytes] = {}

    async def load(self) -> dict[str, FeedState]:
        return {k: FeedState.from_bytes(v) for k, v in self.states.items()}

    async def save(self, state: FeedState) -> None:
        self.states[state.url] = state.to_bytes()

    async def close(self) -> None:
        return None


class KafkaStateStore:
    """Feed states in a compacted topic. ``producer`` is shared with the article publisher."""

    def __init__(self, settings: Any, topic: str, producer: Any) -> None:
        self.settings = settings
        self.topic = topic
        self.producer = producer

    async def load(self) -> dict[str, FeedState]:
        from aiokafka import TopicPartition

        from streams.kafka import make_consumer, record_ends

        consumer = make_consumer(self.settings, group_id=None, enable_auto_commit=False)
        await consumer.start()
        states: dict[str, FeedState] = {}
        try:
            await consumer.topics()  # fetch metadata: nothing is subscribed to pull it in
            parts = consumer.partitions_for_topic(self.topic) or set()
            tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
            if not tps:
                return states
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            # the ends as the records say (the embedded broker under-reports a batch's)
            ends = await record_ends(self.settings, consumer, tps)
            while not await _caught_up(consumer, tps, ends):
                batch = await consumer.getmany(*tps, timeout_ms=500)
                for records in batch.values():
                    for rec in records:
                        self._apply(states, rec.key, rec.value)
        finally:
            await consumer.stop()
        return states

    @staticmethod
    def _apply(states: dict[str, FeedState], key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        url = key.decode("utf-8", "replace")
        if value is None:  # tombstone: the feed was forgotten
            states.pop(url, None)
            return
        try:
            states[url] = FeedState.from_bytes(value)
        except (ValueError, TypeError) as exc:
            log.warning("unreadable feed state skipped", extra={"feed_url": url, "error": str(exc)})

    async def save(self, state: FeedState) -> None:
        await self.producer.send_and_wait(
            self.topic, state.to_bytes(), key=state.url.encode("utf-8")
        )

    async def close(self) -> None:
        return None


async def _caught_up(consumer: Any, tps: list[Any], ends: dict[Any, int]) -> bool:
    for tp in tps:
        if await consumer.position(tp) < ends[tp]:
            return False
    return True
