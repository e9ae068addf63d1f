"""Rate limits and retry delays. Pure: the caller passes the clock in.

``TokenBucket``: about ``rate`` messages per second with a ``burst``; ``WindowThrottle``:
at most N per window per key (a rule's throttle); ``backoff_delay``: exponential backoff.
"""

from __future__ import annotations

from collections import deque


class TokenBucket:
    def __init__(self, rate: float, burst: int, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._at = now

    def _refill(self, now: float) -> None:
        if now > self._at:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now

    def try_take(self, now: float) -> bool:
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is now)."""
        self._refill(now)
        return max(0.0, (1.0 - self._tokens) / self.rate)

    def drain(self, now: float) -> None:
        """Take every token: a 429 says the peer's budget is spent, whatever ours says."""
        self._refill(now)
        self._tokens = 0.0


class WindowThrottle:
    """At most ``limit`` events per ``window`` seconds for each key (sliding window)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._times: dict[str, deque[float]] = {}

    def _trim(self, key: str, now: float) -> deque[float]:
        q = self._times.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def admit(self, key: str, now: float) -> bool:
        q = self._trim(key, now)
        if len(q) < self.limit:
            q.append(now)
            return True
        return False

    def next_free(self, key: str, now: float) -> float:
        """When the next event of ``key`` would be admitted (``now`` if it would be now)."""
        q = self._trim(key, now)
        return now if len(q) < self.limit else q[0] + self.window


def backoff_delay(attempt: int, initial: float, maximum: float) -> float:
    """Delay before retry number ``attempt`` (1-based): initial, 2x, 4x… capped at maximum."""
    if attempt < 1:
        return 0.0
    return float(min(maximum, initial * (2 ** (attempt - 1))))
