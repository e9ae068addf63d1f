"""aiokafka plumbing shared by the plain (non-faust) services: poller, notifier, gateway."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.events import DeadLetter, dumps, utcnow_iso
from streams.settings import Settings

MAX_DEADLETTER_VALUE = 64 * 1024
END_PROBE_WAIT_MS = 100  # an empty read this long means we are at the real end
END_PROBE_DEADLINE_S = 30.0


def bootstrap_of(settings: Settings) -> str:
    if settings.kafka_bootstrap is None:
        raise RuntimeError("no Kafka bootstrap: the supervisor sets NEWSSTREAM_KAFKA_BOOTSTRAP")
    return settings.kafka_bootstrap


def make_producer(settings: Settings, **overrides: Any) -> AIOKafkaProducer:
    """A producer that waits for all replicas. Idempotence is a setting: Apache Kafka has it,
    the embedded Tansu build answers InitProducerId with an error. Without it a retried send
    can land twice; every consumer absorbs that by message id."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": bootstrap_of(settings),
        "acks": "all",
        "enable_idempotence": settings.producer_idempotence,
        "linger_ms": 5,
        "request_timeout_ms": 30_000,
        "retry_backoff_ms": 200,
    }
    kwargs.update(overrides)
    return AIOKafkaProducer(**kwargs)


def make_consumer(settings: Settings, *topics: str, **overrides: Any) -> AIOKafkaConsumer:
    kwargs: dict[str, Any] = {
        "bootstrap_servers": bootstrap_of(settings),
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
        "rebalance_timeout_ms": int(settings.rebalance_timeout_s * 1000),
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
    }
    kwargs.update(overrides)
    return AIOKafkaConsumer(*topics, **kwargs)


def dead_letter(
    stage: str,
    error: BaseException | str,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | str | None = None,
    value: bytes | str | None = None,
) -> DeadLetter:
    """Build the dead-letter record for a message we give up on (pure)."""
    raw = value.encode() if isinstance(value, str) else value
    truncated = raw is not None and len(raw) > MAX_DEADLETTER_VALUE
    text = raw[:MAX_DEADLETTER_VALUE].decode("utf-8", "replace") if raw is not None else None
    k = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
    return DeadLetter(
        stage=stage,
        error=str(error)[:2000],
        error_type=type(error).__name__ if isinstance(error, BaseException) else "error",
        source_topic=topic,
        partition=partition,
        offset=offset,
        key=k,
        value=text,
        value_truncated=truncated,
        at=utcnow_iso(),
    )


async def send_dead_letter(producer: AIOKafkaProducer, topic: str, record: DeadLetter) -> None:
    key = record.key.encode() if record.key else None
    await producer.send_and_wait(topic, dumps(record), key=key)


async def true_ends(
    bootstrap: Iterable[str], reported: dict[Any, int], client_id: str = "newsstream-ends"
) -> dict[Any, int]:
    """The end offset of each partition as its records say: read from ``reported - 1``
    until nothing more comes. ``reported`` maps (topic, partition) tuples to the ends
    ListOffsets gave. Tansu 0.6 reports the last batch's base offset + 1, which hides the
    rest of that batch from anyone who reads "to the end"; on Apache Kafka the read finds
    the reported end itself (or nothing, at a compacted gap or a transaction marker)."""
    probe = {tp: end for tp, end in reported.items() if end and end > 0}
    if not probe:
        return reported
    ends = dict(reported)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=list(bootstrap),
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    try:
        tps = {TopicPartition(tp.topic, tp.partition): tp for tp in probe}
        consumer.assign(list(tps))
        for tp, orig in tps.items():
            consumer.seek(tp, probe[orig] - 1)
        deadline = time.monotonic() + END_PROBE_DEADLINE_S
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=END_PROBE_WAIT_MS, max_records=10_000)
            if not any(batch.values()):
                break
            for tp, records in batch.items():
                if records:
                    orig = tps[tp]
                    ends[orig] = max(ends[orig], records[-1].offset + 1)
    finally:
        await consumer.stop()
    return ends


async def record_ends(
    settings: Settings, consumer: AIOKafkaConsumer, tps: list[Any]
) -> dict[Any, int]:
    """``consumer.end_offsets(tps)`` corrected by ``true_ends``: what a reader "to the end"
    of a partition must read up to."""
    reported = dict(await consumer.end_offsets(tps))
    return await true_ends(bootstrap_of(settings).split(","), reported)
