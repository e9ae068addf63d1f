"""An int -> int map in two flat arrays: ~16-32 bytes an entry where a dict costs ~100.

The index keeps one entry per article id and one per URL, for millions of articles,
so a dict of int objects would be most of its memory. Open addressing with linear
probing and backward-shift deletion (no tombstones). Keys are non-zero 64-bit ints.
"""

from __future__ import annotations

from array import array

_EMPTY = 0


class HashSlots:
    __slots__ = ("_keys", "_mask", "_size", "_vals")

    def __init__(self, capacity: int = 1024) -> None:
        cap = 1 << max(4, (capacity - 1).bit_length())
        self._keys = array("Q", bytes(8 * cap))
        self._vals = array("I", bytes(4 * cap))
        self._mask = cap - 1
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def _find(self, key: int) -> int:
        keys, mask = self._keys, self._mask
        i = (key ^ (key >> 29)) & mask
        while True:
            k = keys[i]
            if k in (key, _EMPTY):
                return i
            i = (i + 1) & mask

    def get(self, key: int) -> int | None:
        i = self._find(key)
        return self._vals[i] if self._keys[i] == key else None

    def put(self, key: int, value: int) -> None:
        if key == _EMPTY:
            raise ValueError("key 0 is reserved")
        i = self._find(key)
        if self._keys[i] == _EMPTY:
            self._keys[i] = key
            self._size += 1
        self._vals[i] = value
        if self._size * 4 > len(self._keys) * 3:  # linear probing stays short up to 3/4
            self._resize(len(self._keys) * 2)

    def pop(self, key: int) -> int | None:
        keys, vals, mask = self._keys, self._vals, self._mask
        i = self._find(key)
        if keys[i] != key:
            return None
        value = vals[i]
        # backward-shift: pull later entries of the probe run into the hole
        j = i
        while True:
            j = (j + 1) & mask
            k = keys[j]
            if k == _EMPTY:
                break
            home = (k ^ (k >> 29)) & mask
            if (j - home) & mask >= (j - i) & mask:
                keys[i], vals[i] = k, vals[j]
                i = j
        keys[i], vals[i] = _EMPTY, 0
        self._size -= 1
        return value

    def items(self) -> list[tuple[int, int]]:
        return [(k, v) for k, v in zip(self._keys, self._vals, strict=True) if k != _EMPTY]

    def _resize(self, cap: int) -> None:
        old = list(zip(self._keys, self._vals, strict=True))
        self._keys = array("Q", bytes(8 * cap))
        self._vals = array("I", bytes(4 * cap))
        self._mask = cap - 1
        self._size = 0
        for k, v in old:
            if k != _EMPTY:
                self.put(k, v)
