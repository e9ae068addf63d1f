"""Recently touched stories, kept unpacked: what each decision about them would walk. Pure.

A story blob (``packed``) is compact but every read walks its members: the
representatives behind ``sources``, the near-copy test over every member's sketch.
In a big story (a syndication storm: the same wire copy in dozens of outlets) that walk
is most of an article's cost and grows with the story. ``HotStories`` keeps, for the
last ``cap`` stories touched, that derived state up to date as members are appended, so
a decision costs the same whatever the story's size. It is a cache: every value is a
pure function of the blob it was built from (``Hot.blob``, checked by identity), and
anything that rewrites a blob other than by appending one member drops it.

``NearCopies`` finds a story's members that could be a reprint of an article by the
facts they state: a reprint states the same facts (Jaccard >= 0.8, ``same_facts``), so
a member must share at least ``need`` of the article's fact hashes, hence at least one
of any ``len(facts) - need + 1`` of them: only members filed under the rarest few are
compared. Members with the same sketch and facts are one group (a storm of identical
copies is one comparison).
"""

from __future__ import annotations

from collections import Counter
from itertools import chain, compress, repeat

from streams.events import Source
from streams.stories import packed as pk
from streams.stories.decision import Reps, listed, listed_sources, representatives
from streams.stories.text import resemblance
from streams.stories.verify import MIN_SKETCH, SYNDICATED_RESEMBLANCE, same_facts

# a story this big is compared through ``NearCopies``; smaller ones are walked (cheaper)
COPIES_FROM = 8
_AT_LEAST_3 = (2).__lt__
_Group = tuple[tuple[int, ...], frozenset[int], set[int]]  # sketch, facts, outlets


class NearCopies:
    __slots__ = ("_by_fact", "_by_value", "_groups", "_keys", "_no_facts")

    def __init__(self) -> None:
        self._groups: list[_Group] = []
        self._keys: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
        self._by_fact: dict[int, list[int]] = {}  # fact hash -> groups stating it
        self._by_value: dict[int, list[int]] = {}  # sketch value -> groups holding it
        self._no_facts: list[int] = []

    @classmethod
    def of(cls, blob: bytes) -> NearCopies:
        nc = cls()
        for oid, sketch, start in pk.sketches(blob):
            nc.add(oid, sketch, pk.facts_at(blob, start))
        return nc

    def add(self, oid: int, sketch: tuple[int, ...], facts: tuple[int, ...]) -> None:
        """One more member: its outlet, 16-bit sketch and fact hashes (as records keep them)."""
        if len(sketch) < MIN_SKETCH:
            return  # never a near copy
        key = (sketch, facts)
        g = self._keys.get(key)
        if g is not None:
            self._groups[g][2].add(oid)
            return
        g = self._keys[key] = len(self._groups)
        fs = frozenset(facts)
        self._groups.append((sketch, fs, {oid}))
        if not fs:
            self._no_facts.append(g)
        for index, values in ((self._by_fact, fs), (self._by_value, set(sketch))):
            for v in values:
                got = index.get(v)
                if got is None:
                    index[v] = [g]
                else:
                    got.append(g)

    def any_copy(self, mine: tuple[int, ...], facts: set[int], outlet: int) -> bool:
        """``lookup.near_copy_in``'s member test, on the members that can pass it."""
        if facts:
            # |A & B| >= 0.8 |A | B| >= 0.8 |A|, and > 0: rounding down only widens the net
            need = max(1, int(0.8 * len(facts)))
            by_fact = self._by_fact
            lists = sorted(map(by_fact.get, facts, repeat(())), key=len)
            groups: set[int] | list[int] = set().union(*lists[: len(facts) - need + 1])
        else:
            groups = self._no_facts  # an empty set equals only an empty set
        if not groups:
            return False
        have = set(mine)
        n = len(mine)
        # shared sketch values of every group at once, counted in C: template copy (the
        # same facts, another text) can make many groups pass the facts test
        shared = Counter(chain.from_iterable(map(self._by_value.get, have, repeat(()))))
        # both sketches hold >= MIN_SKETCH (4) values, so passing needs >= 0.7 * 4: 3 shared
        strong = set(compress(shared, map(_AT_LEAST_3, shared.values())))
        for g in strong.intersection(groups):
            sketch, theirs, oids = self._groups[g]
            if len(oids) == 1 and outlet in oids:
                continue
            # = len(have & set(sketch)): the share of values bounds the resemblance
            if shared[g] / min(n, len(sketch)) < SYNDICATED_RESEMBLANCE:
                continue
            if resemblance(mine, sketch) < SYNDICATED_RESEMBLANCE:
                continue
            if same_facts(facts, set(theirs)):
                return True
        return False


class Hot:
    """One story's derived state, valid for exactly ``blob``."""

    __slots__ = ("_sources", "blob", "copies", "order", "reps", "shown")

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.reps: Reps | None = None
        self.order: list[int] | None = None  # outlets as ``sources`` lists them
        # outlet -> its Source (read-only: decisions about one story share them)
        self.shown: dict[int, Source] = {}
        self._sources: tuple[list[Source], int] | None = None
        self.copies: NearCopies | None = None

    def representatives(self) -> Reps:
        if self.reps is None:
            self.reps = representatives(self.blob)
        return self.reps

    def listed(self, outlets: list[str]) -> tuple[list[Source], int]:
        """(``sources``, how many independent), as ``decision.decide`` lists them."""
        if self._sources is None:
            reps = self.representatives()
            if self.order is None:
                self.order = listed(reps)
            self._sources = listed_sources(self.blob, reps, self.order, outlets, self.shown)
        return self._sources

    def changed(self, oid: int, *, shown: bool, order: bool) -> None:
        """Outlet ``oid``'s shown member (``shown``) or the outlets' order changed."""
        self._sources = None
        if shown:
            self.shown.pop(oid, None)
        if order:
            self.order = None


class HotStories:
    """slot -> ``Hot`` for the ``cap`` stories touched last (least recently used dropped);
    of those, the ``copies_cap`` that built a ``NearCopies`` last keep it (a big story's
    groups are the bulk of the memory: ~1 KB a member)."""

    __slots__ = ("_cap", "_copies", "_copies_cap", "_hot")

    def __init__(self, cap: int = 512, copies_cap: int = 64) -> None:
        self._cap = cap
        self._copies_cap = copies_cap
        self._hot: dict[int, Hot] = {}
        self._copies: dict[int, None] = {}  # slots whose entry built copies, oldest first

    def get(self, slot: int, blob: bytes) -> Hot:
        """The story's entry, fresh if ``blob`` is not what it was built from."""
        hot = self._hot.pop(slot, None)
        if hot is None or hot.blob is not blob:
            hot = Hot(blob)
            if len(self._hot) >= self._cap:
                del self._hot[next(iter(self._hot))]
        self._hot[slot] = hot  # most recent last
        return hot

    def copies(self, slot: int, blob: bytes) -> NearCopies:
        """The story's ``NearCopies``, built from ``blob`` if its entry has none."""
        hot = self.get(slot, blob)
        if hot.copies is None:
            hot.copies = NearCopies.of(blob)
            self._copies.pop(slot, None)
            self._copies[slot] = None
            if len(self._copies) > self._copies_cap:
                old = next(iter(self._copies))
                del self._copies[old]
                if (entry := self._hot.get(old)) is not None:
                    entry.copies = None
        return hot.copies

    def peek(self, slot: int, blob: bytes) -> Hot | None:
        hot = self._hot.get(slot)
        return hot if hot is not None and hot.blob is blob else None

    def drop(self, slot: int) -> None:
        self._hot.pop(slot, None)

    def clear(self) -> None:
        self._hot.clear()
        self._copies.clear()
