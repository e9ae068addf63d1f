"""Feed health from feed states (pure), a text table, and the status snapshot file.

The poller writes ``<data_dir>/feeds-status.json`` every few seconds (atomically:
write a temporary file, then rename) so ``newsstream feeds status`` and the gateway can
show it without reading Kafka.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.ingest import schedule
from streams.ingest.config import FeedConfig
from streams.ingest.normalize import iso_utc
from streams.ingest.state import FeedState

STALE_RHYTHMS = 5  # silent for this many usual gaps ...
STALE_MIN_INTERVALS = 2  # ... and at least this many max intervals


@dataclass(slots=True)
class FeedStatus:
    url: str
    outlet: str
    enabled: bool
    disabled_reason: str | None  # set when the feed answered 410 Gone
    current_url: str | None
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    consecutive_errors: int
    items_seen: int
    last_new_item: str | None
    interval_s: float | None
    next_poll: str | None
    stale: bool
    push: str | None  # WebSub subscription state, None without a hub


def _iso(ts: float | None) -> str | None:
    return iso_utc(ts) if ts else None


def is_stale(feed: FeedConfig, state: FeedState, now: float) -> bool:
    """Silent well past its usual rhythm, or not fetched successfully for a long while."""
    if state.last_poll is None:
        return False
    if state.last_success is None:
        return state.consecutive_errors >= 3
    if now - state.last_success > 3 * feed.max_interval:
        return True
    times = state.item_times
    if len(times) < 2:
        return False
    newest = max(times)
    gap = schedule.item_gap(times, newest) or feed.max_interval
    limit = max(STALE_RHYTHMS * gap, STALE_MIN_INTERVALS * feed.max_interval)
    return now - newest > limit


def feed_status(
    feeds: Sequence[FeedConfig], states: Mapping[str, FeedState], now: float
) -> list[FeedStatus]:
    """One row per configured feed, in config order."""
    rows = []
    for feed in feeds:
        st = states.get(feed.url) or FeedState(feed.url)
        sub = st.websub or {}
        rows.append(
            FeedStatus(
                url=feed.url,
                outlet=feed.display_name(),
                enabled=feed.enabled and not st.disabled,
                disabled_reason=st.disabled_reason,
                current_url=st.current_url,
                last_success=_iso(st.last_success),
                last_error=st.last_error,
                last_error_at=_iso(st.last_error_at),
                consecutive_errors=st.consecutive_errors,
                items_seen=st.items_seen,
                last_new_item=_iso(st.last_new_item),
                interval_s=round(st.interval, 1) if st.interval is not None else None,
                next_poll=_iso(st.next_poll) if feed.enabled and not st.disabled else None,
                stale=is_stale(feed, st, now),
                push=sub.get("state") if sub else None,
            )
        )
    return rows


def _ago(iso: str | None) -> str:
    return iso[5:16].replace("T", " ") if iso else "-"


def format_table(rows: Sequence[FeedStatus | Mapping[str, Any]]) -> str:
    """A fixed-width table for terminals."""
    head = ("OUTLET", "STATE", "ITEMS", "INTERVAL", "LAST OK", "NEXT", "LAST ERROR")
    lines = [head]
    for r in rows:
        d = asdict(r) if isinstance(r, FeedStatus) else dict(r)
        state = "gone" if d.get("disabled_reason") else "off" if not d.get("enabled") else "ok"
        if d.get("enabled") and d.get("consecutive_errors"):
            state = f"err×{d['consecutive_errors']}"
        if d.get("stale"):
            state += ",stale"
        if d.get("push") == "active":
            state += ",push"
        interval = d.get("interval_s")
        lines.append(
            (
                str(d.get("outlet", ""))[:24],
                state,
                str(d.get("items_seen", 0)),
                f"{interval:.0f}s" if interval is not None else "-",
                _ago(d.get("last_success")),
                _ago(d.get("next_poll")),
                (d.get("last_error") or "")[:50] if state != "ok" else "",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def write_snapshot(path: Path, rows: Sequence[FeedStatus], now: float) -> None:
    """Write the status file atomically (readers never see half a file)."""
    doc = {"generated_at": iso_utc(now), "feeds": [asdict(r) for r in rows]}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".feeds-status.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_snapshot(path: Path) -> dict[str, Any]:
    """The last snapshot the poller wrote; ``{"feeds": []}`` when there is none yet."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {"generated_at": None, "feeds": []}
    return data if isinstance(data, dict) else {"generated_at": None, "feeds": []}
