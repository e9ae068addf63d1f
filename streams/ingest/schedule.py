"""When to poll a feed next (pure: plain numbers in, seconds out).

The interval follows how often the feed actually gains items: half the average gap
between its recent items (counted up to *now*, so a feed that went quiet slows down),
kept within the feed's min/max bounds. The server's own hints (Cache-Control max-age,
Expires, RSS ``<ttl>``, ``sy:updatePeriod``) are floors: polling sooner would only
fetch the same document. The user's ``max_interval`` still wins over a hint — it is a
promise of freshness. Errors back off exponentially up to a cap and never disable a
feed; a Retry-After is obeyed.
"""

from __future__ import annotations

from collections.abc import Iterable

RHYTHM_WINDOW_S = 7 * 86400.0  # items older than this say nothing about today's rhythm
RHYTHM_ITEMS = 20
MAX_RETRY_AFTER_S = 86400.0


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def recent_times(times: Iterable[float], now: float, keep: int = RHYTHM_ITEMS) -> list[float]:
    """The newest ``keep`` item times within the rhythm window, newest first."""
    cutoff = now - RHYTHM_WINDOW_S
    return sorted((t for t in times if cutoff <= t <= now + 60), reverse=True)[:keep]


def item_gap(times: Iterable[float], now: float) -> float | None:
    """Average seconds between items over the recent window, up to now; None if unknown."""
    recent = recent_times(times, now)
    if len(recent) < 2:
        return None
    return max(1.0, (now - recent[-1]) / len(recent))


def next_interval(
    times: Iterable[float],
    now: float,
    min_interval: float,
    max_interval: float,
    hint: float | None = None,
) -> float:
    """Seconds until the next poll of a healthy feed (before jitter)."""
    gap = item_gap(times, now)
    interval = max_interval if gap is None else gap / 2
    if hint is not None and hint > 0:
        interval = max(interval, hint)
    return clamp(interval, min_interval, max_interval)


def server_hint(
    max_age: float | None,
    expires_in: float | None,
    ttl: float | None,
    update_period: float | None,
) -> float | None:
    """The longest "do not come back before" the server gave, in seconds."""
    values = [v for v in (max_age, expires_in, ttl, update_period) if v is not None and v > 0]
    return max(values) if values else None


def with_jitter(interval: float, jitter: float, r: float) -> float:
    """Spread polls: ``r`` in [0, 1) moves the interval by up to ±``jitter`` of itself."""
    return interval * (1.0 + jitter * (2.0 * r - 1.0))


def error_backoff(
    consecutive_errors: int,
    min_interval: float,
    cap: float,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait after the ``consecutive_errors``-th failure in a row (>= 1)."""
    if retry_after is not None and retry_after >= 0:
        return clamp(retry_after, min_interval, max(MAX_RETRY_AFTER_S, cap))
    base = max(min_interval, 30.0)
    exponent = min(max(consecutive_errors, 1) - 1, 30)
    return min(cap, base * (2.0**exponent))
