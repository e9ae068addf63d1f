"""Fast multi-pattern matching: run many regexes over a text without scanning it once per regex.

A regex that does not start with a literal costs a full character-by-character scan in
CPython's ``re`` (~20 µs per KB), so a hundred patterns would blow the per-article budget.
At load time we derive, for each pattern, the literal strings every match must *start*
with (its anchors) and key each anchor by its first word (or, for a word prefix such as
``produc``, by that prefix). At match time the article is reduced once to the *set* of its
words (``words_of``: one C-level translate + split); the keys present are a set
intersection, so an article that contains none of a pattern's keys costs that pattern
nothing. Only for keys present do we look for the anchor with ``str.find`` and try the
pattern there (``Pattern.match``). Which words carry a prefix key is learnt once per
distinct word and cached. An entry may also name *gates* (sets of keys at least one of
which must be present), e.g. the cue groups a pattern requires. Patterns whose anchors
cannot be derived fall back to a plain ``finditer``. Pure module.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from streams.understand.lexicon import (
    LEXICON,
    NOT_WORD,
    Lexicon,
    words_of,
)
from streams.understand.regex_parts import (
    LEADING_WORD,
    anchors_of,
    later_words,
    literal_language,
    literal_prefixes,
    split_word_list,
)

__all__ = [
    "LEXICON",
    "NOT_WORD",
    "AnchorIndex",
    "Lexicon",
    "anchors_of",
    "later_words",
    "literal_prefixes",
    "words_of",
]

T = TypeVar("T")


@dataclass(slots=True, eq=False)  # entries are compared by identity
class _Entry(Generic[T]):
    regex: re.Pattern[str] | None  # None: the anchor is the whole match (a word list)
    payload: T
    gates: tuple[frozenset[str], ...] = ()
    # key -> [(anchor, anchor ends a word, keys of the anchor's later words)]
    slots: dict[str, list[tuple[str, bool, frozenset[str]]]] = field(default_factory=dict)


# (gates, regex, payload, entry id, reached more than one way, slots): see AnchorIndex._plan
_Probe = tuple[tuple[frozenset[str], ...], re.Pattern[str] | None, T, int, bool, Any]


class AnchorIndex(Generic[T]):
    """Many compiled patterns, each with a payload; ``finditer`` yields (payload, start, end)."""

    def __init__(self) -> None:
        # key (a whole first word, or a word prefix) -> entries with an anchor on it
        self._by_key: dict[str, list[_Entry[T]]] = {}
        self._lex = LEXICON
        self._keys: set[str] = set()  # this index's keys
        self._unbounded: list[tuple[str, list[_Entry[T]]]] = []  # anchors not at a word start
        self._scan: list[_Entry[T]] = []  # no anchors: full scan
        self._plans: dict[str, list[_Probe[T]]] = {}  # key -> what to try there (_plan)

    def add(
        self, regex: re.Pattern[str], payload: T, gates: tuple[frozenset[str], ...] = ()
    ) -> None:
        """Index ``regex``; its matches count only when every gate has a key in the text."""
        parts = split_word_list(regex.pattern)
        if len(parts) > 1:
            # one entry per alternative, so the plain words take the fast path
            for part in parts:
                self.add(re.compile(part, regex.flags), payload, gates)
            return
        words = literal_language(regex.pattern)
        if words is not None:
            # a plain word list: matching is "this anchor, then a word boundary"
            entry: _Entry[T] = _Entry(None, payload, gates)
            for w in words:
                self._add_anchor(w, True, entry, whole=True)
            return
        later = tuple(self._gate(ws) for ws in later_words(regex.pattern))
        entry = _Entry(regex, payload, gates + later)
        derived = anchors_of(regex.pattern)
        if derived is None:
            self._scan.append(entry)
            return
        anchors, bounded = derived
        for anchor, whole in anchors:
            self._add_anchor(anchor, bounded, entry, whole)

    def _gate(self, words: list[tuple[str, bool]]) -> frozenset[str]:
        """A gate of these (word, complete) keys, registered so ``present`` reports them."""
        for w, whole in words:
            self._lex.add(w, not whole)
        return frozenset(w for w, _ in words)

    def keys(self, regex: re.Pattern[str]) -> frozenset[str] | None:
        """The keys one of which any match of ``regex`` starts with (None: not derivable);
        usable as a gate once the patterns of ``regex`` are added to an index."""
        out: set[str] = set()
        for part in split_word_list(regex.pattern):
            words = literal_language(part)
            if words is not None:
                out |= {self._key(w, True, True)[0] for w in words}
                continue
            derived = anchors_of(part)
            if derived is None or not derived[1]:
                return None
            out |= {self._key(a, True, whole)[0] for a, whole in derived[0]}
        return frozenset(out)

    def _key(self, anchor: str, bounded: bool, whole: bool = False) -> tuple[str, bool]:
        """(key, is a prefix key) of an anchor; key "" when it cannot be keyed."""
        m = LEADING_WORD.match(anchor)
        if not bounded or m is None:
            return "", False
        if whole or m.end() < len(anchor):
            return m.group(), False  # the anchor's first word is complete
        return m.group(), True  # a word prefix ("produc")

    def _add_anchor(
        self, anchor: str, bounded: bool, entry: _Entry[T], whole: bool = False
    ) -> None:
        key, prefix = self._key(anchor, bounded, whole)
        self._plans.clear()
        if not key:
            for a, entries in self._unbounded:
                if a == anchor:
                    entries.append(entry)
                    return
            self._unbounded.append((anchor, [entry]))
            return
        self._lex.add(key, prefix)
        self._keys.add(key)
        # a complete word anchor ("un" in "un officials") must end where the word does
        ends = whole and key == anchor
        # the anchor's later words must be in the text too ("air raid" needs "raid...")
        later = list(LEADING_WORD.finditer(anchor))[1:]
        need = set()
        for m in later:
            complete = m.end() < len(anchor) or whole
            self._lex.add(m.group(), not complete)
            need.add(m.group())
        slot = (anchor, ends, frozenset(need))
        mine = entry.slots.setdefault(key, [])
        if slot not in mine:
            mine.append(slot)
        entries = self._by_key.setdefault(key, [])
        if entry not in entries:
            entries.append(entry)

    @property
    def full_scan_patterns(self) -> list[str]:
        return [e.regex.pattern for e in self._scan if e.regex is not None]

    def present(self, words: set[str]) -> set[str]:
        """The keys of all indexes that occur in a text with these words."""
        return self._lex.present(words)

    def finditer(
        self,
        low: str,
        words: set[str],
        keys: set[str] | None = None,
        gate_keys: set[str] | None = None,
    ) -> Iterator[tuple[T, int, int]]:
        """``iter(self.matches(...))``."""
        return iter(self.matches(low, words, keys, gate_keys))

    def _plan(self, key: str) -> list[_Probe[T]]:
        """What to try at the word starts of ``key``, one probe per entry, built once per
        key: (gates, regex, payload, entry id, more than one way in, slots). For a regex
        entry the slots are the distinct sets of later words its anchors on ``key`` need
        (None: one needs nothing), and the regex is tried at every start of ``key`` (the
        anchors are necessary conditions, so the matches are the same as looking for each
        anchor, for a few regex tries instead of a loop over dozens of anchors); for a word
        list they are its anchors (anchor, length, later words, longer than the key)."""
        plan: list[_Probe[T]] = []
        klen = len(key)
        for e in self._by_key[key]:
            slots = e.slots[key]
            multi = len(e.slots) > 1 or len(slots) > 1
            if e.regex is not None:
                needs = {need for _, _, need in slots}
                got: Any = None if frozenset() in needs else tuple(needs)
            else:
                got = tuple((a, len(a), need, len(a) > klen) for a, _, need in slots)
            plan.append((e.gates, e.regex, e.payload, id(e), multi, got))
        self._plans[key] = plan
        return plan

    def matches(
        self,
        low: str,
        words: set[str],
        keys: set[str] | None = None,
        gate_keys: set[str] | None = None,
    ) -> list[tuple[T, int, int]]:
        """(payload, start, end) of every match in ``low`` (already lowercased); ``words``
        is ``words_of(low)``, ``keys`` (if known) ``self.present(words)`` and ``gate_keys``
        the keys present that gates are checked against (default: ``keys``)."""
        if keys is None:
            keys = self.present(words)
        gk = keys if gate_keys is None else gate_keys
        n = len(low)
        gate_ok: dict[int, bool] = {}  # id(gates) -> open: entries share their gates
        lex = self._lex
        prefixes = lex.prefixes
        plans = self._plans
        out: list[tuple[T, int, int]] = []
        done: set[tuple[int, int]] | None = None  # "drone" and "drones" lead to one match
        for key in keys & self._keys:
            plan = plans.get(key)
            if plan is None:
                plan = self._plan(key)
            starts: list[int] | None = None
            for gates, regex, payload, eid, multi, slots in plan:
                if gates:
                    ok = gate_ok.get(id(gates))
                    if ok is None:
                        ok = True
                        for g in gates:
                            if g.isdisjoint(gk):
                                ok = False
                                break
                        gate_ok[id(gates)] = ok
                    if not ok:
                        continue
                if regex is not None:
                    if slots is not None:
                        for need in slots:
                            if need <= keys:
                                break
                        else:
                            continue  # no anchor of it can be in the text
                    if starts is None:
                        starts = lex.starts(low, key)
                    match = regex.match
                    if multi:
                        if done is None:
                            done = set()
                        for i in starts:
                            if (eid, i) in done:
                                continue
                            done.add((eid, i))
                            m = match(low, i)
                            if m is not None:
                                out.append((payload, i, m.end()))
                    else:
                        for i in starts:
                            m = match(low, i)
                            if m is not None:
                                out.append((payload, i, m.end()))
                    continue
                for anchor, alen, need, longer in slots:
                    if need and not need <= keys:
                        continue
                    if longer:
                        at = lex.anchor_starts(low, anchor)
                    else:
                        if starts is None:
                            starts = lex.starts(low, key)
                        at = starts
                        if key not in prefixes:
                            # the key's starts already end a word: every one is a match
                            out.extend([(payload, i, i + alen) for i in at])
                            continue
                    for i in at:
                        end = i + alen
                        if end == n or not low[end].isalnum():
                            out.append((payload, i, end))
        if self._unbounded:
            find = low.find
            seen: set[tuple[int, int]] = set()  # one anchor may be a prefix of another
            for anchor, entries in self._unbounded:
                live = [e for e in entries if _open(e, gk)]
                i = find(anchor) if live else -1
                while i >= 0:
                    for e in live:
                        if (id(e), i) in seen:
                            continue
                        if e.regex is None:
                            end = i + len(anchor)
                            if (end == n or not low[end].isalnum()) and (
                                i == 0 or not low[i - 1].isalnum()
                            ):
                                seen.add((id(e), i))
                                out.append((e.payload, i, end))
                            continue
                        m = e.regex.match(low, i)
                        if m is not None:
                            seen.add((id(e), i))
                            out.append((e.payload, i, m.end()))
                    i = find(anchor, i + 1)
        for e in self._scan:
            if e.regex is not None and _open(e, gk):
                out.extend([(e.payload, m.start(), m.end()) for m in e.regex.finditer(low)])
        return out


def inside(spans: list[tuple[int, int]], i: int) -> bool:
    """Whether ``i`` lies in one of ``spans`` (sorted, disjoint (lo, hi) pairs)."""
    j = bisect_right(spans, (i, _BIG)) - 1
    return j >= 0 and i < spans[j][1]


_BIG = 1 << 62


def _open(e: _Entry[Any], keys: set[str]) -> bool:
    return all(not g.isdisjoint(keys) for g in e.gates)
