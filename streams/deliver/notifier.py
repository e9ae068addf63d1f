"""The notifier service: consume ``<prefix>alerts``, deliver each alert to its
destinations, commit an offset only once every destination has delivered or
dead-lettered the alert.

Decode → one queue per destination (deliver/worker.py) → ledger → commit. A restart
re-reads what was not committed; the ledger keeps those alerts from being posted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import time
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError

from streams.alerts.rules import RuleSet
from streams.deliver.destinations import make_sender, resolve_destinations
from streams.deliver.ledger import Ledger
from streams.deliver.mute_store import MuteStore
from streams.deliver.offsets import OffsetTracker
from streams.deliver.worker import DestinationWorker, Job
from streams.events import Alert, SchemaError, loads
from streams.health import BrokerCheck, HealthServer, Phase, health_routes
from streams.kafka import bootstrap_of, dead_letter, make_consumer, make_producer, send_dead_letter
from streams.logs import get_logger
from streams.metrics import DEAD_LETTERS, LagTracker
from streams.settings import Settings
from streams.topics import topic_names

log = get_logger("notifier")

LEDGER_FILE = "notifier-ledger.sqlite"
MAX_PENDING = 5_000  # alerts in flight before we stop reading (memory, not correctness)
RELOAD_EVERY = 2.0  # seconds between checks of the rules and mutes files
STOP_GRACE = 2.0  # seconds given to in-flight deliveries on shutdown


class Notifier:
    def __init__(
        self,
        settings: Settings,
        ruleset: RuleSet,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        session: aiohttp.ClientSession,
        stdout: TextIO | None = None,
    ) -> None:
        self.settings, self.ruleset = settings, ruleset
        self.consumer, self.producer = consumer, producer
        self.topics = topic_names(settings)
        data_dir = Path(settings.data_dir)
        self.ledger = Ledger(data_dir / LEDGER_FILE)
        self.mutes = MuteStore(data_dir / "mutes.json")
        self.tracker = OffsetTracker()
        self.workers: dict[str, DestinationWorker] = {}
        for name, dest in resolve_destinations(ruleset.config, settings).items():
            self.workers[name] = DestinationWorker(
                dest.config,
                make_sender(dest, session, self.ledger, stdout),
                self.ledger,
                self._dead_letter,
                rules=lambda: self.ruleset.config,
                mutes=self.mutes.current,
            )
        self._tasks: list[asyncio.Task[None]] = []

    async def _dead_letter(self, job: Job, stage: str, error: str, error_type: str) -> None:
        record = dead_letter(
            stage,
            error,
            topic=job.topic,
            partition=job.partition,
            offset=job.offset,
            key=job.alert.story_id,
            value=job.raw,
        )
        record.error_type = error_type
        await send_dead_letter(self.producer, self.topics.deadletter, record)
        DEAD_LETTERS.labels(stage).inc()

    def _workers_for(self, alert: Alert, extra: dict[str, Any]) -> list[DestinationWorker]:
        chosen: dict[str, DestinationWorker] = {}
        for name in alert.destinations or ["default"]:
            worker = self.workers.get(name)
            if worker is None:  # the rules changed under the worker: never lose the alert
                log.warning(
                    "unknown destination, using default", extra={**extra, "destination": name}
                )
                worker = self.workers["default"]
            chosen[worker.name] = worker
        return list(chosen.values())

    async def dispatch(
        self, tp: TopicPartition, offset: int, key: bytes | None, raw: bytes
    ) -> None:
        extra = {"topic": tp.topic, "partition": tp.partition, "offset": offset}
        try:
            alert = loads(Alert, raw)
        except SchemaError as exc:
            log.error("undecodable alert, dead-lettered", extra={**extra, "error": str(exc)})
            record = dead_letter(
                "notifier.decode", exc, topic=tp.topic, partition=tp.partition, offset=offset,
                key=key, value=raw,
            )  # fmt: skip
            await send_dead_letter(self.producer, self.topics.deadletter, record)
            DEAD_LETTERS.labels("notifier.decode").inc()
            self.tracker.add(tp, offset, 0)
            return
        extra |= {"story_id": alert.story_id, "alert_id": alert.alert_id}
        workers = self._workers_for(alert, extra)
        self.tracker.add(tp, offset, len(workers))
        done = functools.partial(self.tracker.done, tp, offset)
        for w in workers:
            w.submit(Job(alert, raw, tp.topic, tp.partition, offset, done))

    async def commit(self) -> None:
        offsets = self.tracker.committable()
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except KafkaError as exc:  # a rebalance took the partition: its new owner re-reads
            log.warning("commit failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            return
        self.tracker.committed(offsets)

    def pending(self) -> int:
        return self.tracker.pending

    async def run(self, stop: asyncio.Event) -> None:
        self._tasks = [
            asyncio.create_task(w.run(), name=f"deliver:{n}") for n, w in self.workers.items()
        ]
        log.info(
            "notifier started",
            extra={"topic": self.topics.alerts, "destinations": ",".join(sorted(self.workers))},
        )
        next_reload = time.monotonic() + RELOAD_EVERY
        try:
            while not stop.is_set():
                if self.pending() >= MAX_PENDING:
                    await asyncio.sleep(0.05)
                else:
                    batches = await self.consumer.getmany(timeout_ms=100, max_records=500)
                    for tp, messages in batches.items():
                        for m in messages:
                            await self.dispatch(tp, m.offset, m.key, m.value or b"")
                await self.commit()
                if time.monotonic() >= next_reload:
                    next_reload = time.monotonic() + RELOAD_EVERY
                    self._reload()
            deadline = time.monotonic() + STOP_GRACE
            while self.pending() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await self.commit()
        finally:
            for t in self._tasks:
                t.cancel()
            for t in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            left = self.pending()
            for w in self.workers.values():
                with contextlib.suppress(Exception):
                    await w.sender.close()
            log.info("notifier stopped", extra={"uncommitted": left})
            self.ledger.close()

    def _reload(self) -> None:
        if self.ruleset.reload_if_changed():
            log.info("alert rules reloaded", extra={"file": str(self.ruleset.path)})
        elif self.ruleset.last_error is not None:
            log.error("alert rules not reloaded", extra={"error": str(self.ruleset.last_error)})
            self.ruleset.last_error = None


class _ForgetRevoked(ConsumerRebalanceListener):
    """A partition taken away is re-read by its new owner from the last commit (the ledger
    stops reposts), so stop trying to commit it here."""

    def __init__(self, tracker: OffsetTracker) -> None:
        self.tracker = tracker

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.tracker.forget(list(revoked))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None


class NotifierHealth:
    """What /readyz and /metrics need from a running notifier."""

    def __init__(self) -> None:
        self.phase = Phase()
        self.consumer: AIOKafkaConsumer | None = None
        self.lag = LagTracker("notifier")

    async def refresh(self) -> None:
        if self.consumer is not None:
            await self.lag.refresh(self.consumer)


async def serve_notifier(
    settings: Settings,
    alerts_file: Path | None,
    stop: asyncio.Event,
    stdout: TextIO | None = None,
    consumer_overrides: dict[str, Any] | None = None,
    health: NotifierHealth | None = None,
) -> None:
    """Run until ``stop`` is set. Raises ConfigError before touching Kafka if the rules
    or a destination's secret are wrong.

    ``consumer_overrides`` go to AIOKafkaConsumer: tests shorten ``session_timeout_ms``
    because the embedded broker makes a joining member wait about half of it.
    """
    ruleset = RuleSet(alerts_file or settings.alerts_file)
    resolve_destinations(ruleset.config, settings)  # a missing secret stops us before Kafka
    topics = topic_names(settings)
    consumer = make_consumer(
        settings, group_id=f"{settings.topic_prefix}notifier", **(consumer_overrides or {})
    )
    producer = make_producer(settings)
    async with aiohttp.ClientSession() as session:
        notifier = Notifier(settings, ruleset, consumer, producer, session, stdout)
        consumer.subscribe([topics.alerts], listener=_ForgetRevoked(notifier.tracker))
        try:
            await producer.start()
            await consumer.start()
            if health is not None:
                health.consumer, health.phase.why = consumer, None
            await notifier.run(stop)
        finally:
            if health is not None:
                health.consumer, health.phase.why = None, "stopping"
            # also after a failed start: a retry must not leak connections or the ledger
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await producer.stop()
            notifier.ledger.close()


async def run_notifier(
    settings: Settings, alerts_file: Path | None, stop: asyncio.Event | None = None
) -> None:
    """The service entry point, with /healthz, /readyz and /metrics on
    ``settings.notifier_port``: stops cleanly on SIGTERM/SIGINT (or when ``stop`` is set)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    health = NotifierHealth()
    server = HealthServer(
        "notifier",
        settings.health_host,
        settings.notifier_port,
        health_routes(BrokerCheck(bootstrap_of(settings)), health.phase, [health.refresh]),
    )
    await server.start()
    try:
        await _serve_until_stopped(settings, alerts_file, stop, health)
    finally:
        await server.stop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _serve_until_stopped(
    settings: Settings, alerts_file: Path | None, stop: asyncio.Event, health: NotifierHealth
) -> None:
    """Serve; while the broker cannot be reached at start-up, keep trying (and say so on
    /readyz) rather than exit."""
    delay = 0.5
    while not stop.is_set():
        try:
            await serve_notifier(settings, alerts_file, stop, health=health)
            return
        except KafkaConnectionError as exc:
            health.phase.why = "broker unreachable"
            log.warning("cannot reach the broker, retrying", extra={"error": str(exc)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 10.0)
