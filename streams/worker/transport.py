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
from collections.abc import Mapping
from typing import Any

import aiokafka
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
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _commit_offsets(self, offsets: Any, start_new_transaction: bool = True) -> bool:
        # faust flushes its send buffer (table writes, our send_soon records) before a
        # commit, but gives up after 0.1 s without progress; an offset must never be
        # committed before what its event produced is with the Kafka producer
        counter = getattr(self.app.producer.buffer, "counter", None)
        if counter is not None and not await counter.wait_handed_over():
            self.log.warning("send buffer not drained within 60 s; committing anyway")
        return bool(await super()._commit_offsets(offsets, start_new_transaction))


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
