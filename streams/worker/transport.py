"""A faust transport whose worker consumer takes its fetch wait from our settings.

faust-streaming hard-codes ``fetch_max_wait_ms=1500`` for the worker consumer. A broker
that holds every fetch for that long (Tansu does, even with records waiting) then adds
up to 1.5 s to every hop. We subclass the aiokafka driver instead of patching it.
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        wait = getattr(self.app, "fetch_max_wait_ms", None)
        if wait is not None:
            # AIOKafkaConsumer hands this to its Fetcher in start(); set before start.
            consumer._fetch_max_wait_ms = int(wait)
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
