"""One queue and one task per destination, so a slow or failing destination never
stalls the others.

For each alert: skip it if the ledger has it (a restart), if it is muted, if the
destination does not want it, or hold it if its rule is throttled; otherwise wait for the
rate limit and send, retrying 429 (after Retry-After), 5xx and timeouts with exponential
backoff. A backlog of ``digest_after`` alerts goes out as one digest. After the last
attempt the alert goes to the dead-letter topic with the reason: nothing is dropped
silently. ``job.done()`` is called once the outcome is in the ledger.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streams.alerts.mutes import Mutes
from streams.alerts.rules import AlertConfig, DestinationConfig, Rule
from streams.deliver.base import Sender
from streams.deliver.ledger import Ledger, Status
from streams.deliver.ratelimit import TokenBucket, WindowThrottle, backoff_delay
from streams.errors import NewsstreamError, RetryLater
from streams.events import Alert
from streams.logs import get_logger
from streams.metrics import DELIVERIES, HOP_LATENCY, STAGE_ARTICLES, observe_hop

log = get_logger("deliver")
DIGEST_MAX = 500  # alerts in one digest message; the rest wait for the next one
OUTCOMES = (
    "delivered", "digested", "dead_letter", "skipped", "muted", "throttled", "retried",
    "already_done", "seen_story",
)  # fmt: skip
DELIVERED = STAGE_ARTICLES.labels("delivered")
TO_DELIVERED = HOP_LATENCY.labels("alerted_to_delivered")


def _nothing() -> None:
    return None


@dataclass(slots=True)
class Job:
    alert: Alert
    raw: bytes
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    done: Callable[[], None] = field(default=_nothing)

    def log_extra(self, destination: str) -> dict[str, Any]:
        return {
            "story_id": self.alert.story_id,
            "alert_id": self.alert.alert_id,
            # the article that triggered the alert: event_id is article_id ":" content hash
            "article_id": self.alert.event_id.rpartition(":")[0] or None,
            "destination": destination,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
        }


DeadLetterFn = Callable[[Job, str, str, str], Awaitable[None]]  # job, stage, error, error_type


class DestinationWorker:
    def __init__(
        self,
        config: DestinationConfig,
        sender: Sender,
        ledger: Ledger,
        dead_letter: DeadLetterFn,
        rules: Callable[[], AlertConfig],
        mutes: Callable[[], Mutes],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.config, self.sender, self.ledger = config.name, config, sender, ledger
        self._dead_letter, self._rules, self._mutes, self._clock = dead_letter, rules, mutes, clock
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.bucket = (
            TokenBucket(config.rate.per_second, config.rate.burst, clock()) if config.rate else None
        )
        self._held: dict[str, list[Job]] = {}
        self._throttles: dict[str, tuple[tuple[int, float], WindowThrottle]] = {}
        self.in_flight = 0
        self.counts = {o: DELIVERIES.labels(self.name, o) for o in OUTCOMES}

    @property
    def stage(self) -> str:
        return f"notifier.{self.config.type}:{self.name}"

    @property
    def pending(self) -> int:
        return self.queue.qsize() + sum(len(v) for v in self._held.values()) + self.in_flight

    def submit(self, job: Job) -> None:
        self.queue.put_nowait(job)

    async def run(self) -> None:
        while True:
            job = await self._next_job()
            await self._flush_held()
            if job is None:
                continue
            self.in_flight = 1
            try:
                if self._admit(job):
                    await self._wait_for_token()
                    batch = [job]
                    if self.queue.qsize() + 1 >= self.config.digest_after:
                        batch += self._drain_admitted(DIGEST_MAX - 1)
                    await self._deliver(batch, self._backlog_reason(len(batch)))
            finally:
                self.in_flight = 0

    # ---- what to send --------------------------------------------------------------

    async def _next_job(self) -> Job | None:
        due = [self._flush_at(rule) for rule in self._held if self._held[rule]]
        if not due:
            return await self.queue.get()
        timeout = max(0.0, min(due) - self._clock())
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def _drain_admitted(self, limit: int) -> list[Job]:
        jobs: list[Job] = []
        while len(jobs) < limit and not self.queue.empty():
            job = self.queue.get_nowait()
            if self._admit(job):
                jobs.append(job)
        return jobs

    def _finish(self, job: Job, status: Status, detail: str = "") -> None:
        a = job.alert
        self.ledger.record(a.alert_id, self.name, a.story_id, status, detail)
        if status in ("delivered", "digested", "skipped", "muted", "seen_story"):
            # this destination knows the story now (also through an update it did not need
            # or a mute): remember its articles, under the story id it knows it by
            known_as = detail if status == "seen_story" else a.story_id
            self.ledger.record_sources(self.name, known_as, [s.article_id for s in a.sources])
        self.counts[status].inc()
        if status in ("delivered", "digested"):
            DELIVERED.inc()
            observe_hop(TO_DELIVERED, a.created_at, time.time())
        job.done()

    def _admit(self, job: Job) -> bool:
        """False when the alert is settled without sending (or held by its rule's throttle)."""
        a, extra = job.alert, job.log_extra(self.name)
        if self.ledger.done(a.alert_id, self.name):
            log.info("already handled, not posting again", extra=extra)
            self.counts["already_done"].inc()
            job.done()
            return False
        if a.action == "new" and self._seen_before(job):
            return False
        mute = self._mutes().muted_by(a, time.time())
        if mute is not None:
            log.info("muted", extra={**extra, "mute": f"{mute.kind}:{mute.value}"})
            self._finish(job, "muted", f"{mute.kind}:{mute.value}")
            return False
        reason = self.sender.skip_reason(a)
        if reason is not None:
            log.info("skipped", extra={**extra, "reason": reason})
            self._finish(job, "skipped", reason)
            return False
        rule = self._rules().rule(a.rule)
        throttled = (
            a.action == "new"
            and rule is not None
            and rule.throttle is not None
            and not self._throttle(rule).admit(rule.name, self._clock())
        )
        if throttled and rule is not None:
            if rule.digest:
                self._held.setdefault(rule.name, []).append(job)
            else:
                log.info("throttled, dropped by rule", extra={**extra, "rule": rule.name})
                self._finish(job, "throttled", f"rule {rule.name}")
            return False
        return True

    def _seen_before(self, job: Job) -> bool:
        """A 'new' alert about articles this destination already got under another story id:
        the worker's state was lost (e.g. the memory broker restarted) and the story came
        back with a fresh id. It is not news to this destination; later updates thread
        under the original message."""
        a = job.alert
        earlier = self.ledger.story_of(self.name, [s.article_id for s in a.sources])
        if earlier is None or earlier == a.story_id:
            return False
        thread = self.ledger.thread(earlier, self.name)
        if thread is not None:
            self.ledger.set_thread(a.story_id, self.name, thread.channel, thread.ts)
        log.info(
            "story already alerted under another id, not posting again",
            extra={**job.log_extra(self.name), "earlier_story_id": earlier},
        )
        self._finish(job, "seen_story", earlier)
        return True

    def _throttle(self, rule: Rule) -> WindowThrottle:
        assert rule.throttle is not None
        shape = (rule.throttle.max_alerts, rule.throttle.per)
        current = self._throttles.get(rule.name)
        if current is None or current[0] != shape:  # new rule, or its throttle was edited
            current = (shape, WindowThrottle(*shape))
            self._throttles[rule.name] = current
        return current[1]

    def _flush_at(self, rule_name: str) -> float:
        throttle = self._throttles.get(rule_name)
        return (
            self._clock() if throttle is None else throttle[1].next_free(rule_name, self._clock())
        )

    async def _flush_held(self) -> None:
        for rule_name in list(self._held):
            jobs = self._held[rule_name]
            if not jobs or self._flush_at(rule_name) > self._clock():
                continue
            throttle = self._throttles.get(rule_name)
            if throttle is not None:
                throttle[1].admit(rule_name, self._clock())  # the digest counts as one message
            batch, self._held[rule_name] = jobs[:DIGEST_MAX], jobs[DIGEST_MAX:]
            self.in_flight = len(batch)
            try:
                await self._wait_for_token()
                await self._deliver(batch, f"rule {rule_name} is throttled")
            finally:
                self.in_flight = 0

    def _backlog_reason(self, n: int) -> str:
        rate = self.config.rate
        per = f"{rate.per_second:g}/s" if rate else "we could send"
        return f"{n} alerts arrived faster than {per}"

    async def _wait_for_token(self) -> None:
        if self.bucket is None:
            return
        while not self.bucket.try_take(self._clock()):
            await asyncio.sleep(self.bucket.wait_time(self._clock()))

    # ---- sending, with retries ----------------------------------------------------------

    async def _deliver(self, jobs: Sequence[Job], digest_reason: str) -> None:
        alerts = [j.alert for j in jobs]

        async def attempt() -> str:
            if len(alerts) == 1:
                return await self.sender.send(alerts[0])
            return await self.sender.send_digest(alerts, digest_reason)

        policy, n = self.config.retry, 0
        first = jobs[0].log_extra(self.name)
        while True:
            n += 1
            try:
                detail = await attempt()
            except NewsstreamError as exc:
                if not exc.retriable or n >= policy.attempts:
                    await self._give_up(jobs, str(exc), type(exc).__name__, n)
                    return
                delay = backoff_delay(n, policy.initial, policy.maximum)
                if isinstance(exc, RetryLater):
                    if self.bucket is not None:
                        self.bucket.drain(self._clock())
                    if exc.retry_after is not None:
                        delay = min(exc.retry_after, policy.max_retry_after)
                self.counts["retried"].inc()
                log.warning(
                    "delivery failed, will retry",
                    extra={**first, "error": str(exc), "attempt": n, "delay": round(delay, 3)},
                )
                await asyncio.sleep(delay)
                continue
            except Exception as exc:  # a bug in a sender: dead-letter, keep the destination alive
                log.error(
                    "sender failed unexpectedly", extra={**first, "error": type(exc).__name__}
                )
                await self._give_up(jobs, f"unexpected {type(exc).__name__}", type(exc).__name__, n)
                return
            status: Status = "delivered" if len(jobs) == 1 else "digested"
            for job in jobs:
                self._finish(job, status, detail)
            log.info(
                "delivered" if len(jobs) == 1 else "delivered as a digest",
                extra={**first, "alerts": len(jobs), "attempts": n},
            )
            return

    async def _give_up(self, jobs: Sequence[Job], error: str, error_type: str, n: int) -> None:
        reason = f"{error} (gave up after {n} attempt{'s' if n != 1 else ''})"
        for job in jobs:
            extra = job.log_extra(self.name)
            try:
                await self._dead_letter(job, self.stage, reason, error_type)
            except Exception as exc:  # Kafka down too: keep the offset uncommitted instead
                log.error(
                    "cannot dead-letter; the alert stays uncommitted",
                    extra={**extra, "error": f"{type(exc).__name__}: {exc}"},
                )
                continue
            log.error("dead-lettered", extra={**extra, "error": reason})
            self._finish(job, "dead_letter", reason)
