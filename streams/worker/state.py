"""Worker state: faust tables (the durable truth, via their changelogs) paired with the
pure in-memory structures the core works on.

The story index lives in memory for speed; every entry it adds is also written to the
``story-entries`` table. After a restart or a rebalance the table is recovered from its
changelog and the index is rebuilt from it before the next decision.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from streams.alerts.decider import AlertDecider, StoryAlertState
from streams.alerts.rules import RuleSet
from streams.errors import InputError
from streams.events import Alert, EnrichedEvent, UnderstoodArticle
from streams.logs import get_logger
from streams.stories import StoryIndex, features_for
from streams.stories.entry import IndexEntry
from streams.stories.fingerprint import fingerprint_from_dict

log = get_logger("worker.state")


class StoryIndexTable:
    EXPIRE_EVERY_S = 60.0

    def __init__(self, app: Any, window_hours: float) -> None:
        self.window_hours = window_hours
        self._last_expiry = time.monotonic()
        self.table = app.Table(
            "story-entries",
            default=None,
            partitions=1,
            key_type=bytes,
            value_type=bytes,
        )
        self.index = StoryIndex(window_hours=window_hours)
        self._stale = True
        app.on_partitions_assigned.connect(self._on_assigned)

    async def _on_assigned(self, *args: Any, **kwargs: Any) -> None:
        # the table may have gained or lost partitions: rebuild before the next decision
        self._stale = True

    def _rebuild(self) -> None:
        index = StoryIndex(window_hours=self.window_hours)
        entries = []
        for _key, raw in self.table.items():
            if raw is None:
                continue
            try:
                entries.append(IndexEntry.from_dict(orjson.loads(raw)))
            except Exception as exc:  # a corrupt entry costs one article, not the index
                log.warning("skipping bad story entry", extra={"error": str(exc)})
        entries.sort(key=lambda e: e.published_ts)
        for entry in entries:
            index.add_entry(entry)
        self.index = index
        self._stale = False
        log.info("story index rebuilt", extra={"articles": len(entries)})

    def assign(self, item: UnderstoodArticle, offset: int = -1) -> Any:
        """Decide one article's story. Runs inside the stories agent's iteration: faust only
        lets a table change there (it takes the changelog partition from the current event),
        which is also why expiry happens here rather than on a timer."""
        if self._stale:
            self._rebuild()
        if time.monotonic() - self._last_expiry > self.EXPIRE_EVERY_S:
            self._last_expiry = time.monotonic()
            forgotten = self.expire(time.time())
            if forgotten:
                log.info("stories expired", extra={"articles_forgotten": forgotten})
        doc = features_for(item.article, item.places, item.figures)
        if item.fingerprint is not None:
            try:
                doc.fp = fingerprint_from_dict(item.fingerprint)
            except InputError:
                doc.fp = None  # computed by assign, as for a message of an older worker
        decision = self.index.assign(doc)
        key = doc.article_id.encode()
        if decision.kind == "duplicate":
            if offset >= 0 and self._decided_at(key) == offset:
                # the very message we decided before a crash or a rebalance, replayed because
                # its offset was not committed: we cannot know whether its event landed, so
                # it is emitted again (same event_id; at-least-once), never dropped
                decision.kind = "replay"
            return decision
        entry = self.index.entry_for(doc.article_id)
        if entry is not None:
            self.table[key] = orjson.dumps({**entry.to_dict(), "decided_at": offset})
        return decision

    def _decided_at(self, key: bytes) -> int | None:
        raw = self.table.get(key)
        if raw is None:
            return None
        try:
            value = orjson.loads(raw).get("decided_at")
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return value if isinstance(value, int) else None

    def expire(self, now_ts: float) -> int:
        if self._stale:
            return 0
        forgotten = self.index.expire_ids(now_ts)
        for article_id in forgotten:
            self.table.pop(article_id.encode(), None)
        return len(forgotten)


class AlertStateTable:
    """Alert state per story, beside the story index in the serial story stage (one
    partition, like ``stories-in``). Named ``story-alerts``: the ``alert-state`` table
    of workers before it was keyed on the N-partition ``events`` topic."""

    def __init__(self, app: Any, alerts_file: Path | None) -> None:
        self.table = app.Table(
            "story-alerts", default=None, partitions=1, key_type=bytes, value_type=bytes
        )
        self.rules = RuleSet(alerts_file)
        self.decider = AlertDecider(self.rules)
        self._checked = time.monotonic()

    def decide(self, event: EnrichedEvent) -> Alert | None:
        if time.monotonic() - self._checked > 2.0:  # a stat per event would be waste
            self._checked = time.monotonic()
            self.rules.reload_if_changed()
        key = event.story_id.encode()
        raw = self.table.get(key)
        state = StoryAlertState.from_dict(orjson.loads(raw)) if raw is not None else None
        alert, new_state = self.decider.decide(event, state, datetime.now(UTC))
        if new_state != state:
            self.table[key] = orjson.dumps(new_state.to_dict())
        return alert
