"""Baseline (a): a bare aiokafka consume → produce loop, one process, same group settings
as our services, commit after each batch is acknowledged (at-least-once, like the worker).

    python benchmarks/bare_loop.py BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP FETCH_WAIT_MS
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def main(bootstrap: str, src: str, dst: str, group: str, wait_ms: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    consumer = AIOKafkaConsumer(
        src,
        bootstrap_servers=bootstrap,
        group_id=group,
        fetch_max_wait_ms=wait_ms,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
        rebalance_timeout_ms=3000,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await producer.start()
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=1000)
            futures = []
            for msgs in batches.values():
                for m in msgs:
                    futures.append(await producer.send(dst, m.value, key=m.key))
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    b, s, d, g, w = sys.argv[1:6]
    asyncio.run(main(b, s, d, g, int(w)))
