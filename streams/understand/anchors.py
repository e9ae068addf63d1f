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
import threading
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from streams.understand.regex_parts import (
    LEADING_WORD,
    anchors_of,
    later_words,
    literal_language,
    literal_prefixes,
    split_word_list,
)

__all__ = [
    "NOT_WORD",
    "AnchorIndex",
    "Lexicon",
    "anchors_of",
    "later_words",
    "literal_prefixes",
    "words_of",
]

T = TypeVar("T")


# every character that cannot be inside a word ([^\W_]) becomes a space, so that
# ``translate(...).split()`` yields the words of ``_LEADING_WORD`` at C speed
NOT_WORD = {c: " " for c in range(0x3000) if not chr(c).isalnum()}
_SEEN_MAX = 500_000  # distinct words remembered per index before the cache is reset


def words_of(low: str) -> set[str]:
    """The set of words of a (lowercased) text: what the index's keys are looked up in."""
    return set(low.translate(NOT_WORD).split())


class Lexicon:
    """The keys (whole words and word prefixes) of every anchor index, and which of them a
    text holds. One is shared by all indexes, so an article's keys are found once: a set
    intersection for whole words, and for prefixes a cache of which words start with one
    (learnt once per distinct word)."""

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.prefixes: set[str] = set()
        self._lengths: list[int] = []
        self._heads: set[str] = set()  # first two letters of the prefixes: a quick reject
        # what was learnt: (words seen, word -> its prefix keys, words with a prefix key);
        # replaced as a whole, so a reader never mixes two generations (a worker may build
        # a new Analyzer, adding keys, while another thread reads)
        self._learnt: _Learnt = (set(), {}, set())
        # per thread, for the text being read: its keys, and where keys start words in it
        # (shared by all indexes, so each is found once per article)
        self._text = threading.local()

    def starts(self, low: str, key: str) -> list[int]:
        """Where ``key`` starts a word of ``low`` (and ends it, unless it is a prefix)."""
        t = self._text
        if getattr(t, "low", None) is not low:
            t.low, t.starts = low, {}
        got: list[int] | None = t.starts.get(key)
        if got is None:
            got = t.starts[key] = _word_starts(low, key, key not in self.prefixes)
        return got

    def add(self, key: str, prefix: bool) -> None:
        if not prefix:
            self.words.add(key)
            self._text = threading.local()
            return
        if key in self.prefixes:
            return
        self.prefixes.add(key)
        self._lengths = sorted({len(p) for p in self.prefixes})
        self._heads = {p[:2] for p in self.prefixes}
        self._forget()  # learnt words may start with the new prefix

    def _forget(self) -> None:
        self._learnt = (set(), {}, set())
        self._text = threading.local()

    def present(self, words: set[str]) -> set[str]:
        """The keys that occur in a text with these words (cached for the last text)."""
        t = self._text
        if getattr(t, "words", None) is words:
            keys: set[str] = t.keys
            return keys
        keys = words & self.words
        learnt = self._learnt
        seen, prefix_of, prefixed = learnt
        new = words - seen
        if new:
            self._learn(new, learnt)
        for w in words & prefixed:
            keys.update(prefix_of.get(w, ()))
        t.words, t.keys = words, keys
        return keys

    def _learn(self, new: set[str], learnt: _Learnt) -> None:
        seen, prefix_of, prefixed = learnt
        prefixes, lengths, heads = self.prefixes, self._lengths, self._heads
        for w in new:
            if w[:2] not in heads:
                continue
            hits = tuple(w[:n] for n in lengths if n <= len(w) and w[:n] in prefixes)
            if hits:
                prefix_of[w] = hits
                prefixed.add(w)
        seen |= new
        if len(seen) > _SEEN_MAX:
            self._forget()  # a long-running worker meets ever new words: start afresh


_Learnt = tuple[set[str], dict[str, tuple[str, ...]], set[str]]


LEXICON = Lexicon()


@dataclass(slots=True, eq=False)  # entries are compared by identity
class _Entry(Generic[T]):
    regex: re.Pattern[str] | None  # None: the anchor is the whole match (a word list)
    payload: T
    gates: tuple[frozenset[str], ...] = ()
    # key -> [(anchor, anchor ends a word, keys of the anchor's later words)]
    slots: dict[str, list[tuple[str, bool, frozenset[str]]]] = field(default_factory=dict)


class AnchorIndex(Generic[T]):
    """Many compiled patterns, each with a payload; ``finditer`` yields (payload, start, end)."""

    def __init__(self) -> None:
        # key (a whole first word, or a word prefix) -> entries with an anchor on it
        self._by_key: dict[str, list[_Entry[T]]] = {}
        self._lex = LEXICON
        self._keys: set[str] = set()  # this index's keys
        self._unbounded: list[tuple[str, list[_Entry[T]]]] = []  # anchors not at a word start
        self._scan: list[_Entry[T]] = []  # no anchors: full scan

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
        within: list[tuple[int, int]] | None = None,
    ) -> Iterator[tuple[T, int, int]]:
        """(payload, start, end) of every match in ``low`` (already lowercased); ``words``
        is ``words_of(low)``, ``keys`` (if known) ``self.present(words)`` and ``gate_keys``
        the keys present that gates are checked against (default: ``keys``). ``within``:
        sorted, disjoint (lo, hi) spans; only matches starting inside one are wanted."""
        if keys is None:
            keys = self.present(words)
        gk = keys if gate_keys is None else gate_keys
        n = len(low)
        find = low.find
        gate_ok: dict[int, bool] = {}
        lex = self._lex
        done: set[tuple[int, int]] = set()  # "drone" and "drones" lead to the same match
        for key in keys & self._keys:
            starts: list[int] | None = None
            for e in self._by_key[key]:
                if e.gates:
                    ok = gate_ok.get(id(e))
                    if ok is None:
                        ok = gate_ok[id(e)] = _open(e, gk)
                    if not ok:
                        continue
                slots = e.slots[key]
                single = len(slots) == 1  # several anchors ("drone", "drones") may meet
                for anchor, ends, need in slots:
                    if need and not need <= keys:
                        continue
                    if starts is None:
                        starts = lex.starts(low, key)
                        if within is not None:
                            starts = [i for i in starts if _inside(within, i)]
                    alen = len(anchor)
                    longer = alen > len(key)
                    for i in starts:
                        end = i + alen
                        if longer and not low.startswith(anchor, i):
                            continue
                        if e.regex is None:
                            if end == n or not low[end].isalnum():
                                yield e.payload, i, end
                            continue
                        if ends and end < n and low[end].isalnum():
                            continue
                        if not single:
                            if (id(e), i) in done:
                                continue
                            done.add((id(e), i))
                        m = e.regex.match(low, i)
                        if m is not None:
                            yield e.payload, i, m.end()
        if self._unbounded:
            seen: set[tuple[int, int]] = set()  # one anchor may be a prefix of another
            for anchor, entries in self._unbounded:
                live = [e for e in entries if _open(e, gk)]
                i = find(anchor) if live else -1
                while i >= 0:
                    if within is not None and not _inside(within, i):
                        i = find(anchor, i + 1)
                        continue
                    for e in live:
                        if (id(e), i) in seen:
                            continue
                        if e.regex is None:
                            end = i + len(anchor)
                            if (end == n or not low[end].isalnum()) and (
                                i == 0 or not low[i - 1].isalnum()
                            ):
                                seen.add((id(e), i))
                                yield e.payload, i, end
                            continue
                        m = e.regex.match(low, i)
                        if m is not None:
                            seen.add((id(e), i))
                            yield e.payload, i, m.end()
                    i = find(anchor, i + 1)
        for e in self._scan:
            if e.regex is not None and _open(e, gk):
                for m in e.regex.finditer(low):
                    if within is None or _inside(within, m.start()):
                        yield e.payload, m.start(), m.end()


def _inside(spans: list[tuple[int, int]], i: int) -> bool:
    j = bisect_right(spans, (i, _BIG)) - 1
    return j >= 0 and i < spans[j][1]


_BIG = 1 << 62


def _word_starts(low: str, key: str, whole: bool) -> list[int]:
    """Where ``key`` starts a word of ``low`` (and, if ``whole``, ends it)."""
    out = []
    n, size, find = len(low), len(key), low.find
    i = find(key)
    while i >= 0:
        end = i + size
        if (i == 0 or not low[i - 1].isalnum()) and (
            not whole or end == n or not low[end].isalnum()
        ):
            out.append(i)
        i = find(key, end)
    return out


def _open(e: _Entry[Any], keys: set[str]) -> bool:
    return all(not g.isdisjoint(keys) for g in e.gates)
