"""Band key -> recent stories: where candidate stories come from. Pure module.

Most keys (a person's name, a small town) belong to one story only, so they live in
a flat ``HashSlots`` (~20 bytes each); a key gains an array once a second story
files it. Arrays keep only the newest ``keep`` stories: an older story under a key
that every story carries ("Ukraine", "drone") is no evidence, and scanning it would
make every lookup cost as much as the index is large.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable

from streams.stories.hashslots import HashSlots


class KeyBuckets:
    __slots__ = ("_multi", "_single", "keep")

    def __init__(self, keep: int = 16) -> None:
        self.keep = keep
        self._single = HashSlots()
        self._multi: dict[int, array[int]] = {}

    @property
    def multi_get(self) -> Callable[[int], array[int] | None]:
        """key -> all stories filed under it (oldest first), for keys of several stories."""
        return self._multi.get

    @property
    def single_get(self) -> Callable[[int], int | None]:
        """key -> its one story, for keys of one story (when ``multi_get`` has none)."""
        return self._single.get

    def add(self, key: int, slot: int) -> None:
        self.add_all((key,), slot)

    def add_all(self, keys: Iterable[int], slot: int) -> None:
        """File ``slot`` under each key."""
        multi, keep = self._multi, self.keep
        setdefault = self._single.setdefault
        for key in keys:
            bucket = multi.get(key)
            if bucket is not None:
                if bucket[-1] == slot or slot in bucket[-keep:]:
                    continue
                bucket.append(slot)
                if len(bucket) >= 2 * keep:  # trim in batches: one copy per `keep` appends
                    del bucket[: len(bucket) - keep]
                continue
            old = setdefault(key, slot)
            if old is not None and old != slot:
                self._single.pop(key)
                multi[key] = array("I", (old, slot))

    def recent(self, key: int) -> array[int]:
        """Stories filed under ``key``, newest first, at most ``keep``."""
        bucket = self._multi.get(key)
        if bucket is not None:
            return bucket[: -self.keep - 1 : -1]
        old = self._single.get(key)
        return array("I") if old is None else array("I", (old,))

    def sweep(self, alive: Callable[[int], bool]) -> None:
        """Drop stories that no longer exist (called after expiry, amortised)."""
        for key, slot in self._single.items():
            if not alive(slot):
                self._single.pop(key)
        for key in list(self._multi):
            left = array("I", (s for s in self._multi[key][-self.keep :] if alive(s)))
            if len(left) > 1:
                self._multi[key] = left
            else:
                del self._multi[key]
                if left:
                    self._single.put(key, left[0])
