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
"""

from __future__ import annotations

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


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
