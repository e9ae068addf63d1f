"""Per-client connect rate limit: one token bucket per key (token id or IP). Pure module."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """``capacity`` connects at once, refilled at ``rate`` per second.

    Memory stays bounded: when more than ``max_keys`` keys are tracked, the buckets
    that have refilled completely (they carry no information) are forgotten.
    """

    def __init__(self, capacity: float, rate: float, max_keys: int = 10_000) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("capacity must be >= 1 and rate > 0")
        self.capacity, self.rate, self.max_keys = capacity, rate, max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float) -> float:
        """Spend one token; return 0.0 when allowed, else seconds until one is available."""
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            b = self._buckets[key] = _Bucket(self.capacity, now)
        b.tokens = min(self.capacity, b.tokens + (now - b.at) * self.rate)
        b.at = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return 0.0
        return (1.0 - b.tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.at) * self.rate >= self.capacity
        ]
        for k in full:
            del self._buckets[k]

    def __len__(self) -> int:
        return len(self._buckets)
