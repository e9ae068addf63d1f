"""One shared tail of the alerts topic, fanned out to every connected client.

The tail is a plain aiokafka consumer without a group: it assigns every partition and
seeks itself, so any number of gateways can run and none waits for a rebalance. Each
client has a bounded queue; a client whose queue is full is closed at once, so a slow
reader never holds up the tail or the other clients (it reconnects and resumes).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from streams.broker import metadata_ok
from streams.errors import TransientError
from streams.events import Alert, SchemaError, from_dict
from streams.gateway.filters import AlertFilter
from streams.gateway.position import Position
from streams.gateway.recent import AlertRecord, RecentAlerts
from streams.kafka import make_consumer
from streams.logs import get_logger
from streams.settings import Settings

log = get_logger("gateway")


class NotReady(TransientError):
    """The tail is not connected to the broker yet."""


class Subscriber:
    """One connected client: its filter and its bounded queue (``None`` = closed)."""

    def __init__(self, flt: AlertFilter, maxsize: int, client: str) -> None:
        self.filter, self.client = flt, client
        self.queue: asyncio.Queue[AlertRecord | None] = asyncio.Queue(maxsize)
        self.closed_reason: str | None = None
        self.on_drop: Callable[[], None] | None = None

    def offer(self, record: AlertRecord) -> bool:
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            return False
        return True

    def close(self, reason: str) -> None:
        if self.closed_reason is not None:
            return
        self.closed_reason = reason
        # What is still queued is dropped: the client resumes from its last event id.
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


def merge_by_time(batches: Iterable[Sequence[ConsumerRecord]]) -> Iterator[ConsumerRecord]:
    """Interleave per-partition batches by record timestamp, keeping each partition's order."""
    return heapq.merge(*batches, key=lambda m: (m.timestamp, m.partition))


def decode_record(topic: str, m: ConsumerRecord) -> AlertRecord | None:
    """The alert in a record, or None (logged) when it is not one we can read."""
    try:
        if m.value is None:
            raise SchemaError("empty value")
        data = orjson.loads(m.value)
        alert = from_dict(Alert, data)
    except (orjson.JSONDecodeError, SchemaError, TypeError) as exc:
        log.warning(
            "skipping unreadable alert",
            extra={"topic": topic, "partition": m.partition, "offset": m.offset, "error": str(exc)},
        )
        return None
    return AlertRecord(m.partition, m.offset, m.timestamp, alert, orjson.dumps(data))


async def assigned_consumer(settings: Settings, topic: str) -> tuple[AIOKafkaConsumer, list[int]]:
    """A started, group-less consumer assigned every partition of ``topic``."""
    consumer = make_consumer(settings, group_id=None, request_timeout_ms=10_000)
    try:
        await consumer.start()
        await consumer.topics()  # loads metadata, so partitions_for_topic knows the topic
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        if not partitions:
            raise TransientError(f"topic {topic} does not exist (yet)")
        consumer.assign([TopicPartition(topic, p) for p in partitions])
    except BaseException:
        with contextlib.suppress(Exception):
            await consumer.stop()
        raise
    return consumer, partitions


async def tail_forever(
    settings: Settings,
    topic: str,
    what: str,
    session: Callable[[AIOKafkaConsumer, list[int]], Awaitable[None]],
    on_disconnect: Callable[[], None],
) -> None:
    """Run ``session`` on a fresh assigned consumer until cancelled; when the broker goes
    away, say so, back off (0.5 s doubling to 10 s) and start a new session."""
    delay = 0.5
    while True:
        consumer: AIOKafkaConsumer | None = None
        try:
            consumer, partitions = await assigned_consumer(settings, topic)
            delay = 0.5
            await session(consumer, partitions)
        except (KafkaError, OSError, TransientError) as exc:
            log.warning(
                f"{what} not connected, retrying",
                extra={"topic": topic, "error": str(exc) or type(exc).__name__, "delay": delay},
            )
        finally:
            on_disconnect()
            if consumer is not None:
                with contextlib.suppress(Exception):
                    await consumer.stop()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)


class AlertTail:
    """Reads the alerts topic from (about) its end and hands each alert to every client."""

    def __init__(self, settings: Settings, topic: str, recent_size: int) -> None:
        self.settings, self.topic = settings, topic
        self.recent, self.recent_size = RecentAlerts(recent_size), recent_size
        self.position: Position = {}  # next offset the tail will deliver, per partition
        self.partitions: list[int] = []
        self.connected = False
        self._subs: set[Subscriber] = set()

    # --- clients --------------------------------------------------------------
    def subscribe(self, flt: AlertFilter, maxsize: int, client: str) -> tuple[Subscriber, Position]:
        """Register a client; return it with the tail's position at this instant: the
        client gets every later alert live, and may read what came before from Kafka."""
        if not self.connected:
            raise NotReady("not connected to the broker yet")
        sub = Subscriber(flt, maxsize, client)
        self._subs.add(sub)
        return sub, dict(self.position)

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subs.discard(sub)

    def close_all(self, reason: str) -> None:
        for sub in list(self._subs):
            sub.close(reason)
        self._subs.clear()

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

    # --- the loop ---------------------------------------------------------------
    async def run(self) -> None:
        """Consume until cancelled, reconnecting (from where it stopped) after failures."""
        await tail_forever(self.settings, self.topic, "alert tail", self._session, self._down)

    async def _session(self, consumer: AIOKafkaConsumer, partitions: list[int]) -> None:
        self.partitions = partitions
        await self._seek(consumer)
        await self._consume(consumer)

    def _down(self) -> None:
        self.connected = False

    async def _seek(self, consumer: AIOKafkaConsumer) -> None:
        tps = [TopicPartition(self.topic, p) for p in self.partitions]
        begin = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
        warm: dict[int, int] = {}
        for tp in tps:
            known = self.position.get(tp.partition)
            if known is None:
                # First start: read the last few alerts into the ring before going live.
                start = max(begin[tp], end[tp] - self.recent_size)
                warm[tp.partition] = end[tp]
            else:
                start = min(max(known, begin[tp]), end[tp])
            consumer.seek(tp, start)
            self.position[tp.partition] = start
        await self._warm_up(consumer, warm)
        self.connected = True
        log.info(
            "alert tail connected",
            extra={"topic": self.topic, "partitions": len(tps), "position": dict(self.position)},
        )

    async def _warm_up(self, consumer: AIOKafkaConsumer, until: dict[int, int]) -> None:
        while any(self.position[p] < o for p, o in until.items()):
            await self._poll(consumer)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            await self._poll(consumer)

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        batch = await consumer.getmany(timeout_ms=1000)
        for m in merge_by_time(batch.values()):
            self._deliver(m)
            # Let the clients' writers run between records: a burst larger than a client's
            # queue then drops only the clients that really cannot keep up.
            await asyncio.sleep(0)

    def _deliver(self, m: ConsumerRecord) -> None:
        # Synchronous on purpose: subscribe() runs between two deliveries, never inside one,
        # so the position it hands out splits the stream exactly.
        self.position[m.partition] = m.offset + 1
        rec = decode_record(self.topic, m)
        if rec is None:
            return
        self.recent.add(rec)
        for sub in list(self._subs):
            if sub.filter.matches(rec.alert) and not sub.offer(rec):
                self._drop(sub)

    def _drop(self, sub: Subscriber) -> None:
        self._subs.discard(sub)
        sub.close("slow")
        log.warning(
            "slow client dropped",
            extra={"client": sub.client, "queue": sub.queue.maxsize, "topic": self.topic},
        )
        if sub.on_drop is not None:
            sub.on_drop()


class BrokerProbe:
    """Asks the broker a Metadata question every few seconds; /readyz reads ``ok``.

    aiokafka retries a lost connection silently, so the tail alone cannot tell."""

    def __init__(self, bootstrap: str, interval: float) -> None:
        self.hosts = [h.strip().rpartition(":") for h in bootstrap.split(",")]
        self.interval = interval
        self.ok = False

    async def check(self) -> bool:
        for host, _, port in self.hosts:
            if await asyncio.to_thread(metadata_ok, host, int(port), 1.0):
                self.ok = True
                return True
        self.ok = False
        return False

    async def run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)
