"""An int -> int map in two flat arrays: ~15-25 bytes an entry where a dict costs ~100.

The index keeps one entry per article id and one per URL, for millions of articles,
so a dict of int objects would be most of its memory. Open addressing with linear
probing and backward-shift deletion (no tombstones), filled up to 4/5 and grown by
half (not doubled), so the arrays stay 50-80% full. Keys are non-zero 64-bit ints.
"""

from __future__ import annotations

from array import array

_EMPTY = 0
MAX_LOAD = 0.8


class HashSlots:
    __slots__ = ("_cap", "_keys", "_limit", "_size", "_vals")

    def __init__(self, capacity: int = 1024) -> None:
        self._alloc(max(16, capacity))
        self._size = 0

    def _alloc(self, cap: int) -> None:
        self._keys = array("Q", bytes(8 * cap))
        self._vals = array("I", bytes(4 * cap))
        self._cap = cap
        self._limit = int(cap * MAX_LOAD)

    def __len__(self) -> int:
        return self._size

    def get(self, key: int) -> int | None:
        keys, cap = self._keys, self._cap
        i = (key ^ (key >> 29)) % cap
        while True:  # the hottest call of a story lookup: no helper calls
            k = keys[i]
            if k == key:
                return self._vals[i]
            if k == _EMPTY:
                return None
            i += 1
            if i == cap:
                i = 0

    def _find(self, key: int) -> int:
        keys, cap = self._keys, self._cap
        i = (key ^ (key >> 29)) % cap
        while True:
            k = keys[i]
            if k in (key, _EMPTY):
                return i
            i += 1
            if i == cap:
                i = 0

    def put(self, key: int, value: int) -> None:
        if key == _EMPTY:
            raise ValueError("key 0 is reserved")
        i = self._find(key)
        if self._keys[i] == _EMPTY:
            self._keys[i] = key
            self._size += 1
        self._vals[i] = value
        if self._size > self._limit:
            self._resize(self._cap + self._cap // 2)

    def setdefault(self, key: int, value: int) -> int | None:
        """The value under ``key``; if there is none, store ``value`` and return None."""
        i = self._find(key)
        keys = self._keys
        if keys[i] == key:
            return self._vals[i]
        if key == _EMPTY:
            raise ValueError("key 0 is reserved")
        keys[i] = key
        self._vals[i] = value
        self._size += 1
        if self._size > self._limit:
            self._resize(self._cap + self._cap // 2)
        return None

    def pop(self, key: int) -> int | None:
        keys, vals, cap = self._keys, self._vals, self._cap
        i = self._find(key)
        if keys[i] != key:
            return None
        value = vals[i]
        # backward-shift: pull later entries of the probe run into the hole
        j = i
        while True:
            j = (j + 1) % cap
            k = keys[j]
            if k == _EMPTY:
                break
            home = (k ^ (k >> 29)) % cap
            if (j - home) % cap >= (j - i) % cap:
                keys[i], vals[i] = k, vals[j]
                i = j
        keys[i], vals[i] = _EMPTY, 0
        self._size -= 1
        return value

    def items(self) -> list[tuple[int, int]]:
        return [(k, v) for k, v in zip(self._keys, self._vals, strict=True) if k != _EMPTY]

    def _resize(self, cap: int) -> None:
        old = self.items()
        self._alloc(cap)
        keys, vals = self._keys, self._vals
        for k, v in old:  # put() inlined: a resize moves millions of entries
            i = (k ^ (k >> 29)) % cap
            while keys[i] != _EMPTY:
                i = i + 1 if i + 1 < cap else 0
            keys[i], vals[i] = k, v
