"""Events per category per hour, from a tail of the enriched events topic.

At start the tail asks Kafka for the offsets of ``window`` hours ago (offsets_for_times)
and reads on from there. Records older than the window are skipped as they come, which
also covers brokers whose time lookup is coarse (the embedded Tansu answers offset 0).
"""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.events import EnrichedEvent, SchemaError, loads
from streams.gateway.recent import HOUR_MS, CategoryCounts
from streams.gateway.tail import tail_forever
from streams.logs import get_logger
from streams.settings import Settings

log = get_logger("gateway")


def now_ms() -> int:
    return int(time.time() * 1000)


class CategoryStats:
    def __init__(self, settings: Settings, topic: str, window_hours: int) -> None:
        self.settings, self.topic = settings, topic
        self.counts = CategoryCounts(window_hours)
        self.connected = False
        self._position: dict[int, int] = {}

    async def run(self) -> None:
        await tail_forever(self.settings, self.topic, "events tail", self._session, self._down)

    async def _session(self, consumer: AIOKafkaConsumer, partitions: list[int]) -> None:
        await self._seek(consumer, partitions)
        self.connected = True
        while True:
            batch = await consumer.getmany(timeout_ms=1000)
            for msgs in batch.values():
                for m in msgs:
                    self._count(m.partition, m.offset, m.timestamp, m.value)

    def _down(self) -> None:
        self.connected = False

    async def _seek(self, consumer: AIOKafkaConsumer, partitions: list[int]) -> None:
        tps = [TopicPartition(self.topic, p) for p in partitions]
        since = now_ms() - self.counts.window_hours * HOUR_MS
        found = await consumer.offsets_for_times({tp: since for tp in tps})
        end = await consumer.end_offsets(tps)
        for tp in tps:
            known = self._position.get(tp.partition)
            hit = found.get(tp)
            if known is not None:
                offset = known
            elif hit is None:
                offset = end[tp]  # nothing that recent on this partition
            else:
                offset = hit.offset
            consumer.seek(tp, min(offset, end[tp]))

    def _count(self, partition: int, offset: int, timestamp: int, value: bytes | None) -> None:
        self._position[partition] = offset + 1
        try:
            if value is None:
                raise SchemaError("empty value")
            event = loads(EnrichedEvent, value)
        except (SchemaError, TypeError) as exc:
            log.warning(
                "skipping unreadable event",
                extra={
                    "topic": self.topic,
                    "partition": partition,
                    "offset": offset,
                    "error": str(exc),
                },
            )
            return
        if event.kind == "new":
            self.counts.add(timestamp, event.top_category(), event.event_id, now_ms())

    def report(self, hours: int) -> dict[str, object]:
        series = self.counts.series(hours, now_ms())
        categories = sorted({c for _, counts in series for c in counts})
        totals = {c: sum(counts.get(c, 0) for _, counts in series) for c in categories}
        return {
            "hours": hours,
            "categories": categories,
            "buckets": [{"start": _iso(start), "counts": counts} for start, counts in series],
            "totals": totals,
            "complete": self.connected,
        }


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))
