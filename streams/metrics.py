"""Prometheus metrics of every service, defined in one place (docs/operations.md lists them).

Each service is its own process, so the default registry holds exactly what that
process counts. Hot paths use children bound once (``.labels(...)`` at start-up), never
a label lookup per message. Labels are bounded: feeds are labelled by outlet, destinations
by name, categories by the taxonomy's names, partitions by the topic's count.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

disable_created_metrics()  # the *_created series double the output and nobody reads them

# Seconds: news moves in seconds to minutes; the tail catches a stalled stage.
HOP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
WORK_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2)

# ---- poller ---------------------------------------------------------------------------
FEED_POLLS = Counter(
    "newsstream_feed_polls",
    "Polls of a feed by outcome (new, unchanged, not_modified = HTTP 304, error, gone).",
    ["outlet", "outcome"],
)
FEED_ITEMS = Counter(
    "newsstream_feed_items", "Items a feed published to Kafka, new or updated.", ["outlet", "kind"]
)

# ---- every stage -------------------------------------------------------------------------
STAGE_ARTICLES = Counter(
    "newsstream_stage_articles",
    "Articles through a stage (published, understood, decided, alert_checked, delivered).",
    ["stage"],
)
PROCESSING = Histogram(
    "newsstream_processing_seconds",
    "Time a stage spends on one message (decode to send).",
    ["stage"],
    buckets=WORK_BUCKETS,
)
HOP_LATENCY = Histogram(
    "newsstream_hop_latency_seconds",
    "Time between two stages, from the messages' own timestamps "
    "(fetched_to_understood, understood_to_enriched, enriched_to_alerted, alerted_to_delivered).",
    ["hop"],
    buckets=HOP_BUCKETS,
)
DEAD_LETTERS = Counter(
    "newsstream_dead_letters", "Messages sent to the dead-letter topic.", ["stage"]
)

# ---- worker --------------------------------------------------------------------------------
EXACT_REPEATS = Counter(
    "newsstream_exact_repeats", "Articles dropped because this exact version was seen before."
)
STORY_DECISIONS = Counter(
    "newsstream_story_decisions",
    "Story stage decisions (new, joined, update, duplicate).",
    ["decision"],
)
CATEGORY_EVENTS = Counter(
    "newsstream_category_events", "Events published per category topic.", ["category"]
)
ALERTS_RAISED = Counter("newsstream_alerts_raised", "Alerts raised by action.", ["action"])

# ---- notifier ------------------------------------------------------------------------------
DELIVERIES = Counter(
    "newsstream_deliveries",
    "Alert outcomes per destination (delivered, digested, retried, dead_letter, muted, "
    "skipped, throttled, already_done).",
    ["destination", "outcome"],
)

# ---- health ---------------------------------------------------------------------------------
CONSUMER_LAG = Gauge(
    "newsstream_consumer_lag",
    "Messages behind the end of the partition (highwater - position), at the last scrape.",
    ["consumer", "topic", "partition"],
)
BROKER_REACHABLE = Gauge(
    "newsstream_broker_reachable", "1 when the last broker probe answered, else 0."
)
GATEWAY_CLIENTS = Gauge("newsstream_gateway_clients", "Clients connected to the alert streams.")


class FeedCounters:
    """One feed's children, bound once (by outlet: bounded by the feeds file)."""

    OUTCOMES = ("new", "unchanged", "not_modified", "error", "gone", "disabled")
    __slots__ = ("new", "outlet", "polls", "updated")

    def __init__(self, outlet: str) -> None:
        self.outlet = outlet
        self.polls = {o: FEED_POLLS.labels(outlet, o) for o in self.OUTCOMES}
        self.new = FEED_ITEMS.labels(outlet, "new")
        self.updated = FEED_ITEMS.labels(outlet, "updated")

    def count(self, outcome: str, new: int, updated: int) -> None:
        child = self.polls.get(outcome)
        if child is None:  # an outcome added later: bind it once
            child = self.polls[outcome] = FEED_POLLS.labels(self.outlet, outcome)
        child.inc()
        if new:
            self.new.inc(new)
        if updated:
            self.updated.inc(updated)


def iso_ts(value: str) -> float | None:
    """Epoch seconds of one of our ISO-8601 timestamps; None when empty or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def observe_hop(child: Any, since_iso: str, now: float) -> None:
    """Observe ``now - since`` on a bound histogram child; skip unknown or future times
    (clock skew between hosts must not become a negative latency)."""
    since = iso_ts(since_iso)
    if since is not None and now >= since:
        child.observe(now - since)


def render() -> tuple[bytes, str]:
    """The exposition text of this process's registry, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


class LagTracker:
    """Refreshes ``newsstream_consumer_lag`` for one consumer at scrape time.

    Works with anything that has ``assignment()``, ``highwater(tp)`` and an awaitable
    ``position(tp)`` (aiokafka's consumer and faust's). ``read`` may give the next offset
    the service will process per partition, which is truer than the fetch position when
    the client prefetches.
    """

    POSITION_TIMEOUT = 0.5

    def __init__(self, name: str) -> None:
        self.name = name
        self._shown: set[tuple[str, int]] = set()

    async def refresh(self, consumer: Any, read: dict[Any, int] | None = None) -> None:
        seen: set[tuple[str, int]] = set()
        try:
            assigned: Iterable[Any] = list(consumer.assignment())
        except Exception:  # not started yet, or stopping
            assigned = []
        for tp in assigned:
            try:
                high = consumer.highwater(tp)
            except Exception:  # the client is between connections: no number this time
                continue
            pos = read.get(tp) if read else None
            if pos is None:
                with contextlib.suppress(Exception):
                    pos = await asyncio.wait_for(consumer.position(tp), self.POSITION_TIMEOUT)
            if high is None or pos is None:
                continue
            key = (tp.topic, tp.partition)
            seen.add(key)
            CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(0, high - pos))
        for topic, partition in self._shown - seen:  # a partition taken by a rebalance
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.name, topic, str(partition))
        self._shown = seen
