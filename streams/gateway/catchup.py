"""What a resuming client missed: read straight from Kafka, one consumer per resume.

The range is [client position, tail position at subscribe time) per partition; the
tail delivers everything from its position on, so the two together are gapless and
never overlap. Partitions are interleaved by record timestamp.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from streams.errors import TransientError
from streams.gateway.position import Position
from streams.gateway.recent import AlertRecord
from streams.gateway.tail import decode_record
from streams.kafka import make_consumer, record_ends
from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class CatchUpPlan:
    start: Position  # where reading starts, per partition
    gap: bool  # part of what the client missed is past retention
    reset: bool  # the client's position is beyond the log (a new broker?): it starts live


class CatchUp:
    def __init__(
        self, settings: Settings, topic: str, stop: Position, timeout: float = 30.0
    ) -> None:
        self.settings, self.topic, self.stop, self.timeout = settings, topic, stop, timeout
        self._consumer: AIOKafkaConsumer | None = None
        self._tps = {p: TopicPartition(topic, p) for p in stop}

    async def open(self, resume: Position) -> CatchUpPlan:
        consumer = make_consumer(self.settings, group_id=None, request_timeout_ms=10_000)
        self._consumer = consumer
        await consumer.start()
        consumer.assign(list(self._tps.values()))
        begin = await consumer.beginning_offsets(list(self._tps.values()))
        # the ends as the records say: on the embedded broker a client that saw the last
        # records of a multi-record batch would otherwise look "beyond the log" and restart
        end = await record_ends(self.settings, consumer, list(self._tps.values()))
        start: Position = {}
        gap = reset = False
        for p, tp in self._tps.items():
            want = resume.get(p, 0)
            if want > end[tp]:
                reset, want = True, self.stop[p]
            elif want < begin[tp]:
                gap, want = True, begin[tp]
            start[p] = want
            consumer.seek(tp, min(want, self.stop[p]))
        return CatchUpPlan(start, gap, reset)

    async def records(self) -> AsyncIterator[AlertRecord]:
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("open() first")
        pending = {p for p, tp in self._tps.items() if await consumer.position(tp) < self.stop[p]}
        buffers: dict[int, deque[ConsumerRecord]] = {p: deque() for p in self._tps}
        deadline = time.monotonic() + self.timeout
        while pending or any(buffers.values()):
            need = [p for p in pending if not buffers[p]]
            if need:
                # Before choosing the next record, every unfinished partition must show its
                # head: only then is the smallest timestamp known.
                if time.monotonic() > deadline:
                    raise TransientError(f"catch-up on {self.topic} took over {self.timeout}s")
                batch = await consumer.getmany(*(self._tps[p] for p in need), timeout_ms=500)
                for tp, msgs in batch.items():
                    buffers[tp.partition].extend(
                        m for m in msgs if m.offset < self.stop[tp.partition]
                    )
                for p in need:
                    if await consumer.position(self._tps[p]) >= self.stop[p]:
                        pending.discard(p)
                continue
            p = min((b[0].timestamp, p) for p, b in buffers.items() if b)[1]
            rec = decode_record(self.topic, buffers[p].popleft())
            if rec is not None:
                yield rec

    async def close(self) -> None:
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.stop()
            self._consumer = None
