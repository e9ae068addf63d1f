"""The words of a text and where they start, shared by every anchor index (anchors.py).
Pure module.

``NOT_WORD`` turns every non-alphanumeric character into a space, so ``translate`` +
``split`` yield a text's words at C speed. The ``Lexicon`` holds every index's keys
(whole words and word prefixes), finds which of them a text holds (set intersections,
with which words carry a prefix key learnt once per distinct word), and where each key
starts a word, once per text for all indexes.
"""

from __future__ import annotations

import threading
from typing import Any


class _NotWord(dict[int, int]):
    """``str.translate`` table: every character that is not alphanumeric becomes a space,
    the others stay. Filled in as characters are met (``__missing__`` runs once per
    distinct character), so it is exact for all of Unicode: a key's word boundaries in the
    translated text are those ``str.isalnum`` gives in the original."""

    def __missing__(self, c: int) -> int:
        v = c if chr(c).isalnum() else 32
        self[c] = v
        return v


# every character that cannot be inside a word becomes a space, so that
# ``translate(...).split()`` yields the words of the text at C speed
NOT_WORD = _NotWord({c: 32 for c in range(0x3000) if not chr(c).isalnum()})
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
        t = self._state(low)
        got: list[int] | None = t.starts.get(key)
        if got is None:
            spaced = t.spaced
            if spaced is None:
                spaced = t.spaced = " " + low.translate(NOT_WORD) + " "
            got = t.starts[key] = _spaced_starts(spaced, key, key not in self.prefixes)
        return got

    def _state(self, low: str) -> Any:
        """This thread's per-text caches, started afresh for a new text."""
        t = self._text
        if getattr(t, "low", None) is not low:
            t.low, t.starts, t.spaced = low, {}, None
        return t

    def prime(self, low: str, spaced: str) -> None:
        """Hand over ``" " + low.translate(NOT_WORD) + " "`` when the caller already has
        it (``Doc`` translates the text once for its words), so it is not made twice."""
        t = self._text
        t.low, t.starts, t.spaced = low, {}, spaced

    def anchor_starts(self, low: str, anchor: str) -> list[int]:
        """Where ``anchor`` (longer than its key) starts a word of ``low``: one C-level
        ``find`` per occurrence of the anchor, rather than a Python test at every
        occurrence of its key ("air" is common, "air strike" rare)."""
        cache: dict[str, list[int]] = self._state(low).starts
        got = cache.get("\x00" + anchor)  # cannot clash with a key: keys are words
        if got is None:
            got = cache["\x00" + anchor] = _word_starts(low, anchor, False)
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


def _spaced_starts(spaced: str, key: str, whole: bool) -> list[int]:
    """``_word_starts`` of a text, given it translated by ``NOT_WORD`` between two spaces:
    a key of word characters starts a word exactly where a space precedes it there, so
    ``find`` stops only at true word starts instead of at every substring ("in" in
    "killing") as on the text itself. Offsets are those of the text (the leading space
    shifts the space before the word onto the word's own offset)."""
    out = []
    needle = " " + key + " " if whole else " " + key
    find = spaced.find
    i = find(needle)
    step = len(needle) - 1  # the closing space may open the next word
    while i >= 0:
        out.append(i)
        i = find(needle, i + step)
    return out


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
