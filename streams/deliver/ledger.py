"""The delivery ledger: what went where, so a restart never posts an alert twice.

A row per (alert_id, destination) with its outcome; plus, per story and Slack
destination, the ``ts`` of the original message that updates reply to. SQLite under
``settings.data_dir``; one writer (the notifier), WAL so ``sqlite3`` can read it live.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Status = Literal[
    "delivered", "digested", "dead_letter", "skipped", "muted", "throttled", "seen_story"
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    story_id TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    PRIMARY KEY (alert_id, destination)
);
CREATE TABLE IF NOT EXISTS threads (
    story_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (story_id, destination)
);
CREATE TABLE IF NOT EXISTS sources (
    article_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    story_id TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (article_id, destination)
);
"""


@dataclass(frozen=True, slots=True)
class Delivery:
    alert_id: str
    destination: str
    story_id: str
    status: str
    detail: str
    at: float


@dataclass(frozen=True, slots=True)
class Thread:
    channel: str
    ts: str


class Ledger:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get(self, alert_id: str, destination: str) -> Delivery | None:
        row = self._db.execute(
            "SELECT alert_id, destination, story_id, status, detail, at FROM deliveries "
            "WHERE alert_id = ? AND destination = ?",
            (alert_id, destination),
        ).fetchone()
        return Delivery(*row) if row else None

    def done(self, alert_id: str, destination: str) -> bool:
        """Whatever the outcome, this alert was handled for this destination."""
        return self.get(alert_id, destination) is not None

    def record(
        self, alert_id: str, destination: str, story_id: str, status: Status, detail: str = ""
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, ?, ?, ?)",
            (alert_id, destination, story_id, status, detail[:500], time.time()),
        )

    def record_many(
        self, rows: list[tuple[str, str]], destination: str, status: Status, detail: str = ""
    ) -> None:
        """(alert_id, story_id) pairs, one transaction: a digest is one outcome."""
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, ?, ?, ?)",
                [(a, destination, s, status, detail[:500], now) for a, s in rows],
            )

    def thread(self, story_id: str, destination: str) -> Thread | None:
        row = self._db.execute(
            "SELECT channel, ts FROM threads WHERE story_id = ? AND destination = ?",
            (story_id, destination),
        ).fetchone()
        return Thread(*row) if row else None

    def set_thread(self, story_id: str, destination: str, channel: str, ts: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO threads VALUES (?, ?, ?, ?)",
            (story_id, destination, channel, ts),
        )

    def record_sources(self, destination: str, story_id: str, article_ids: list[str]) -> None:
        """Remember which articles an alert delivered here was about."""
        now = time.time()
        self._db.executemany(
            "INSERT OR IGNORE INTO sources VALUES (?, ?, ?, ?)",
            [(a, destination, story_id, now) for a in article_ids],
        )

    def story_of(self, destination: str, article_ids: list[str]) -> str | None:
        """The story an earlier delivery here covered any of these articles under.

        Story ids live in the worker's tables; when those are lost (a memory broker that
        restarted), the same articles come back under a story id of the new run. Their
        article ids do not change, so they name the story this destination already has."""
        for article_id in article_ids:
            row = self._db.execute(
                "SELECT story_id FROM sources WHERE article_id = ? AND destination = ?",
                (article_id, destination),
            ).fetchone()
            if row:
                return str(row[0])
        return None

    def deliveries(self, destination: str | None = None) -> list[Delivery]:
        sql = "SELECT alert_id, destination, story_id, status, detail, at FROM deliveries"
        args: tuple[str, ...] = ()
        if destination is not None:
            sql += " WHERE destination = ?"
            args = (destination,)
        return [Delivery(*r) for r in self._db.execute(sql + " ORDER BY at", args)]
