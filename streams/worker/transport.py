"""A faust transport fitted to our brokers, as a subclass of the aiokafka driver rather
than a patch of the installed package.

1. **Fetch wait.** faust-streaming hard-codes ``fetch_max_wait_ms=1500`` for the worker
   consumer. A broker that holds every fetch for that long (Tansu does, even with records
   waiting) then adds up to 1.5 s to every hop; ours comes from our settings.
2. **True changelog ends.** faust recovers a table by reading its changelog up to the end
   offset the broker reports (ListOffsets). Tansu 0.6 reports the *last batch's base
   offset + 1*, so the other records of the last produced batch — several table writes
   sent together — would be missing after a restart (docs/reliability.md). Before
   recovery we read each non-empty changelog partition from the reported end − 1 and take
   the last offset actually there. On Apache Kafka that read finds the reported end
   itself, so the correction is a no-op there (a compacted gap or a transaction marker at
   the end: nothing read, the reported end stands).
3. **Nothing committed before it is produced.** A commit first waits for faust's send
   buffer to be handed to the Kafka producer (faust's own flush may give up early).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterable, Mapping, MutableMapping
from typing import Any

import aiokafka
from faust.transport.consumer import ensure_TP
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.kafka import true_ends


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    _bootstrap: list[str]

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        self._bootstrap = faust_aiokafka.server_list(transport.url, transport.default_port)
        wait = getattr(self.app, "fetch_max_wait_ms", None)
        if wait is not None:
            # AIOKafkaConsumer hands this to its Fetcher in start(); set before start.
            consumer._fetch_max_wait_ms = int(wait)
        return consumer

    async def _highwaters(self, partitions: list[Any]) -> Mapping[Any, int]:
        ends = dict(await super()._highwaters(partitions))
        if self.consumer.in_transaction:
            return ends
        return await true_ends(self._bootstrap, ends, client_id=f"{self.app.conf.id}-ends")


class SendCounter:
    """Counts what faust's producer buffer was given and what it handed to the Kafka
    producer, so a commit can wait for exactly the sends queued before it."""

    def __init__(self, buffer: Any) -> None:
        self.queued = self.handed_over = 0
        self._changed = asyncio.Event()
        put, send = buffer.put, buffer._send_pending

        def counted_put(fut: Any) -> None:
            self.queued += 1
            put(fut)

        async def counted_send(fut: Any) -> None:
            try:
                await send(fut)
            finally:
                self.handed_over += 1
                self._changed.set()

        # instance attributes, set before the buffer's drain task starts and binds them
        buffer.put, buffer._send_pending = counted_put, counted_send
        buffer.counter = self

    async def wait_handed_over(self, deadline_s: float = 60.0) -> bool:
        """Wait until everything queued so far is with the Kafka producer."""
        target = self.queued
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline_s
        while self.handed_over < target:
            left = end - loop.time()
            if left <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))
        return True


class Consumer(faust_aiokafka.Consumer):
    """faust's consumer, with two fixes of its own bookkeeping:

    - commits wait for the send buffer (above);
    - **a seek is not undone by the fetch loop.** faust's drain loop hands each fetched
      record to the streams and then records it as read. A rebalance (or any seek) can
      happen while a record is being handed over: faust clears the stream buffers, seeks
      to the committed offsets and sets the read offsets to them, and then the drain loop
      resumes and stores the *old* record's offset as read. Every record it fetches again
      below that offset is then dropped as already read; those were cleared from the
      buffers unprocessed, so they were never processed at all, and the stage stalls
      behind the gap (or, with faust's gap filling, commits past it). Here records
      fetched before a seek are not handed over after it, and a partition's read offset
      is reset to the sought offset when its first record after the seek arrives.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = SeekGuard(self._read_offset)

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def perform_seek(self) -> None:
        await super().perform_seek()
        # every partition it set a read offset for, those without a committed offset too
        self._guard.sought(set(self._read_offset) | set(self._committed_offset))

    async def seek(self, partition: Any, offset: int) -> None:
        await super().seek(partition, offset)
        self._guard.sought([ensure_TP(partition)])

    def getmany(self, timeout: float) -> AsyncGenerator[tuple[Any, Any], None]:
        return self._guard.records(super().getmany(timeout))  # type: ignore[arg-type]


class SeekGuard:
    """Keeps a seek in force against faust's fetch loop (see :class:`Consumer`).

    ``read_offset`` is faust's per-partition read offset, which a seek has just set.
    """

    def __init__(self, read_offset: MutableMapping[Any, int | None]) -> None:
        self.read_offset = read_offset
        self.seeks: dict[Any, int] = {}  # seeks so far, per partition
        self.pending: dict[Any, int | None] = {}  # what a seek set, until its first record

    def sought(self, partitions: Iterable[Any]) -> None:
        for tp in partitions:
            self.seeks[tp] = self.seeks.get(tp, 0) + 1
            self.pending[tp] = self.read_offset.get(tp)

    async def records(
        self, fetched: AsyncGenerator[tuple[Any, Any], None]
    ) -> AsyncGenerator[tuple[Any, Any], None]:
        """One fetch's records, minus those of a partition sought since they came back."""
        seeks, pending = self.seeks, self.pending
        seen_at: dict[Any, int] | None = None
        try:
            async for tp, message in fetched:
                if seen_at is None:  # the fetch returned: the seeks it came after
                    seen_at = dict(seeks)
                if seeks.get(tp, 0) != seen_at.get(tp, 0):
                    continue  # fetched before a seek of its partition: read again from there
                if pending and tp in pending:
                    self.read_offset[tp] = pending.pop(tp)
                yield tp, message
        finally:
            await fetched.aclose()


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
