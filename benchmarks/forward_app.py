"""Baseline (b): a faust agent that only forwards, with the worker app's Kafka settings
(``streams.worker.app.transport_options``: raw serialisers, acks=-1, linger 1 ms, commit
every 1 s, the same rebalance/session settings) and on our transport via the
``newsstream://`` broker scheme, so its consumer gets the same fetch wait
(NEWSSTREAM_FETCH_MAX_WAIT_MS).

    NEWSSTREAM_KAFKA_BOOTSTRAP=... NEWSSTREAM_TOPIC_PREFIX=p. python benchmarks/forward_app.py

Reads ``<prefix>articles`` and writes each record unchanged to ``<prefix>events``.
``BENCH_FAUST_OVERRIDES`` (a JSON object of faust.App settings) tries a tuning, e.g.
``{"producer_max_batch_size": 262144}``, before proposing it for the worker app.

``BENCH_FORWARD_WORK=1``: the same one-hop agent also does our whole per-article work
(``worker_core.CoreWork``: classify + extract, fingerprint, story decision, enriched event,
alert decision) in memory, with no tables and no second hop — what faust gives the same
work at best, the fair baseline for our worker's design.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import faust
import orjson

from streams.settings import load_settings
from streams.worker.app import transport_options  # also registers "newsstream://"


def create_forwarder() -> faust.App:
    s = load_settings()
    datadir = Path(s.data_dir) / f"forwarder-{os.getpid()}"
    options: dict[str, Any] = dict(
        transport_options(s), store="memory://", datadir=str(datadir), web_enabled=False
    )
    options.update(orjson.loads(os.environ.get("BENCH_FAUST_OVERRIDES", "{}")))
    app = faust.App(f"{s.topic_prefix}forwarder", **options)
    app.fetch_max_wait_ms = s.fetch_max_wait_ms  # type: ignore[attr-defined]
    src = app.topic(f"{s.topic_prefix}articles")
    dst = app.topic(f"{s.topic_prefix}events")

    if os.environ.get("BENCH_FORWARD_WORK"):
        from worker_core import CoreWork

        work = CoreWork()

        @app.agent(src, name="forward")
        async def forward_with_work(stream: Any) -> None:
            async for event in stream.events():
                body = work.process(event.value)
                if body is not None:
                    await dst.send(key=event.key, value=body)

        return app

    @app.agent(src, name="forward")
    async def forward(stream: Any) -> None:
        async for event in stream.events():
            await dst.send(key=event.key, value=event.value)

    return app


def main() -> None:
    from faust.worker import Worker

    worker: Any = Worker(
        create_forwarder(), loglevel="warning", quiet=True, redirect_stdouts=False,
        override_logging=False,
    )  # fmt: skip
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
