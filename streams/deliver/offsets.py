"""Which offsets may be committed: a message counts as done once every destination has
delivered or dead-lettered it, and a partition commits only up to its oldest unfinished
message (destinations finish out of order). Pure."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Partition:
    pending: dict[int, int] = field(default_factory=dict)  # offset -> destinations left
    next_offset: int = -1  # one past the highest offset seen
    committed: int = -1


class OffsetTracker:
    def __init__(self) -> None:
        self._parts: dict[Hashable, _Partition] = {}

    def add(self, tp: Hashable, offset: int, destinations: int) -> None:
        p = self._parts.setdefault(tp, _Partition())
        p.next_offset = max(p.next_offset, offset + 1)
        if destinations > 0:
            p.pending[offset] = destinations

    def done(self, tp: Hashable, offset: int) -> None:
        p = self._parts.get(tp)
        if p is None or offset not in p.pending:
            return
        p.pending[offset] -= 1
        if p.pending[offset] <= 0:
            del p.pending[offset]

    @property
    def pending(self) -> int:
        return sum(len(p.pending) for p in self._parts.values())

    def committable(self) -> dict[Hashable, int]:
        """Offsets to commit now (the next offset to read), only where they moved."""
        out: dict[Hashable, int] = {}
        for tp, p in self._parts.items():
            upto = min(p.pending) if p.pending else p.next_offset
            if upto > p.committed:
                out[tp] = upto
        return out

    def committed(self, offsets: dict[Hashable, int]) -> None:
        for tp, offset in offsets.items():
            self._parts[tp].committed = max(self._parts[tp].committed, offset)

    def forget(self, tps: list[Hashable]) -> None:
        """Partitions taken away by a rebalance: their new owner starts from the last commit."""
        for tp in tps:
            self._parts.pop(tp, None)
