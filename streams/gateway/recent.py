"""In-memory views the gateway serves without touching Kafka: the last alerts, the
stories they belong to, and event counts per category per hour. Pure module."""

from __future__ import annotations

from bisect import insort
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from streams.events import Alert
from streams.gateway.filters import AlertFilter

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert read from the alerts topic, decoded once for every client."""

    partition: int
    offset: int
    timestamp: int  # ms since the epoch (Kafka record timestamp)
    alert: Alert
    payload: bytes  # the alert as one line of JSON


class RecentAlerts:
    """The last ``size`` alerts, oldest first by record timestamp.

    Alerts of different stories sit on different partitions, and a consumer receives
    partitions in no defined order: an alert may arrive after a newer one. It is put in
    its place (by timestamp, then partition and offset), so "newest first" means newest.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._ring: deque[AlertRecord] = deque(maxlen=size)

    def add(self, record: AlertRecord) -> None:
        ring = self._ring
        if not ring or _order(ring[-1]) <= _order(record):
            ring.append(record)  # the usual case
            return
        if len(ring) == self._size and _order(record) < _order(ring[0]):
            return  # older than everything kept: it would be the first evicted
        items = list(ring)
        insort(items, record, key=_order)
        ring.clear()
        ring.extend(items)  # maxlen drops the oldest

    def latest(self, limit: int, flt: AlertFilter | None = None) -> list[AlertRecord]:
        """Newest first."""
        out: list[AlertRecord] = []
        for rec in reversed(self._ring):
            if len(out) >= limit:
                break
            if flt is None or flt.matches(rec.alert):
                out.append(rec)
        return out

    def stories(self, limit: int) -> list[dict[str, Any]]:
        """One entry per story (its newest alert revision), most recently alerted first."""
        seen: dict[str, dict[str, Any]] = {}
        for rec in reversed(self._ring):
            a = rec.alert
            entry = seen.get(a.story_id)
            if entry is None:
                if len(seen) >= limit:
                    continue
                seen[a.story_id] = {
                    "story_id": a.story_id,
                    "headline": a.headline,
                    "url": a.url,
                    "category": top_category(a),
                    "severity": a.severity,
                    "revision": a.revision,
                    "source_count": a.source_count,
                    "countries": sorted({p.country_code for p in a.places if p.country_code}),
                    "first_seen": a.first_seen,
                    "updated_at": a.created_at,
                    "alerts": 1,
                }
            else:
                entry["alerts"] += 1
        return list(seen.values())

    def __len__(self) -> int:
        return len(self._ring)


def _order(rec: AlertRecord) -> tuple[int, int, int]:
    return rec.timestamp, rec.partition, rec.offset


def top_category(alert: Alert) -> str:
    if not alert.categories:
        return "other"
    return max(alert.categories, key=lambda c: c.score).name


class CategoryCounts:
    """Events per category per clock hour over a sliding window.

    An event id counted once is not counted again: without an idempotent producer a
    retried send can land twice on the topic.
    """

    def __init__(self, window_hours: int, max_ids: int = 200_000) -> None:
        self.window_hours = window_hours
        self._hours: dict[int, Counter[str]] = {}
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._max_ids = max_ids

    def add(self, timestamp_ms: int, category: str, event_id: str, now_ms: int) -> bool:
        """Count one event; False when it is too old or already counted."""
        hour = timestamp_ms // HOUR_MS
        if hour <= now_ms // HOUR_MS - self.window_hours or event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self._max_ids:
            self._ids.popitem(last=False)
        self._hours.setdefault(hour, Counter())[category] += 1
        self._prune(now_ms)
        return True

    def _prune(self, now_ms: int) -> None:
        oldest = now_ms // HOUR_MS - self.window_hours
        for hour in [h for h in self._hours if h <= oldest]:
            del self._hours[hour]

    def series(self, hours: int, now_ms: int) -> list[tuple[int, dict[str, int]]]:
        """``hours`` buckets, oldest first, the last being the current (partial) hour;
        each is (hour start in ms, counts per category)."""
        current = now_ms // HOUR_MS
        return [
            (h * HOUR_MS, dict(sorted(self._hours.get(h, Counter()).items())))
            for h in range(current - hours + 1, current + 1)
        ]
