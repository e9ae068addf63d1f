"""The faust application: topics, tables and agents of the stream worker.

Two stages (docs/architecture.md):
1. ``understand`` — articles (key article_id, N partitions), read in batches: drop exact
   repeats, classify + extract, fingerprint, and hand the batch to ``stories-in`` as one
   record. Parallel across workers.
2. ``stories`` — stories-in (1 partition): the story index decides duplicate / update /
   join / new story, emits enriched events (key story_id) and per-category copies, and
   the alert step beside it raises one alert per story, updates after. One serial
   decision point, so two outlets' copies of one event can never race.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import faust
from faust.transport.drivers import TRANSPORTS

from streams.settings import Settings
from streams.topics import TopicNames, topic_names
from streams.worker.transport import SendCounter

TRANSPORTS.aliases["newsstream"] = "streams.worker.transport:Transport"


class NewsApp(faust.App):
    """faust.App with our fetch wait and our context (settings, topic names)."""

    fetch_max_wait_ms: int
    settings: Settings
    names: TopicNames


def transport_options(settings: Settings) -> dict[str, Any]:
    """faust settings for how the worker talks to Kafka: our transport (``newsstream://``,
    our fetch wait), raw bytes, group timing, producer acks and linger, commit interval.
    The forwarding-agent baseline of the benchmarks uses the same ones."""
    if settings.kafka_bootstrap is None:
        raise RuntimeError("the worker needs NEWSSTREAM_KAFKA_BOOTSTRAP")
    return {
        "broker": [f"newsstream://{hp.strip()}" for hp in settings.kafka_bootstrap.split(",")],
        "topic_partitions": settings.partitions,
        "key_serializer": "raw",
        "value_serializer": "raw",
        "broker_rebalance_timeout": settings.rebalance_timeout_s,
        "broker_session_timeout": settings.session_timeout_ms / 1000,
        "broker_heartbeat_interval": settings.heartbeat_interval_ms / 1000,
        "broker_request_timeout": settings.session_timeout_ms / 1000 + 30.0,
        "broker_commit_interval": 1.0,
        "producer_acks": -1,
        "producer_linger_ms": 1,
        # aiokafka keeps one open batch per partition and makes a send wait while a full
        # one drains: with 16 KiB batches a burst of table writes to a changelog partition
        # waits a produce round trip every ~16 records. 512 KiB holds a whole stories-in
        # batch's writes (and stays under a broker's default 1 MiB message limit).
        "producer_max_batch_size": 512 * 1024,
        "producer_max_request_size": 4 * 1024 * 1024,
        "autodiscover": False,
        "logging_config": None,
    }


def create_app(settings: Settings, worker_index: int = 0) -> NewsApp:
    options = transport_options(settings)
    # the host name keeps replicas that share a volume (compose --scale) apart
    datadir = Path(settings.data_dir) / f"worker-{socket.gethostname()}-{worker_index}"
    datadir.mkdir(parents=True, exist_ok=True)
    app = NewsApp(
        f"{settings.topic_prefix}worker",
        **options,
        store=settings.table_store,
        datadir=str(datadir),
        topic_replication_factor=settings.replication,
        stream_recovery_delay=0.0,
        table_cleanup_interval=60.0,
        # The check compares offsets a store persisted with the changelog's end. A memory
        # store persists nothing, and on the embedded broker a rebalance during a burst
        # saw the end lag our own just-flushed writes by one (2475 > 2474), killing the
        # worker for nothing. Keep it for RocksDB, where it guards real inconsistencies.
        recovery_consistency_check=not settings.table_store.startswith("memory"),
        web_enabled=True,
        web_bind="127.0.0.1",
        web_port=settings.worker_web_port + worker_index,
        web_host="127.0.0.1",
    )
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
    # faust buffers table writes (its changelog sends) and, past 100 pending, makes the
    # stream wait for them one by one; a batch of the understand stage writes up to
    # batch_max at once, which is expected, not a sign of a stuck producer
    app.producer.buffer.max_messages = max(100, 4 * settings.batch_max)
    SendCounter(app.producer.buffer)  # commits wait for exactly the sends before them
    app.settings = settings
    app.names = topic_names(settings)
    from streams.worker import agents, web

    agents.register(app)
    web.register(app)
    return app


def run_worker(settings: Settings, worker_index: int = 0) -> None:
    """Run one worker process until SIGTERM/SIGINT (faust's Worker handles signals)."""
    from faust.worker import Worker

    app = create_app(settings, worker_index)
    worker: Any = Worker(
        app,
        loglevel=settings.log_level.lower() if settings.log_level != "INFO" else "warning",
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,
    )
    # faust's start-up spinner writes bells and cursor codes to stdout even off a terminal,
    # which would corrupt JSON log streams; without it faust logs "Ready" instead
    worker.spinner = None
    worker.execute_from_commandline()
