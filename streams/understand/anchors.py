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
import re._constants as sre_c
import re._parser as sre_parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_MAX_ANCHORS = 256  # an expansion larger than this is not worth it: scan instead
_ZERO_WIDTH = {sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT}

_LEADING_WORD = re.compile(r"[^\W_]+")
# every character that cannot be inside a word ([^\W_]) becomes a space, so that
# ``translate(...).split()`` yields the words of ``_LEADING_WORD`` at C speed
_NOT_WORD = {c: " " for c in range(0x3000) if not chr(c).isalnum()}
_SEEN_MAX = 500_000  # distinct words remembered per index before the cache is reset


def words_of(low: str) -> set[str]:
    """The set of words of a (lowercased) text: what the index's keys are looked up in."""
    return set(low.translate(_NOT_WORD).split())


_END = "\x00"  # marks an anchor whose last word is complete (a boundary or a space follows)


def literal_prefixes(pattern: str) -> tuple[list[str], bool] | None:
    """Strings one of which every match of ``pattern`` starts with, and whether a word
    boundary precedes them; None when no such finite set exists (or it is too large)."""
    found = anchors_of(pattern)
    if found is None:
        return None
    return sorted({a for a, _ in found[0]}), found[1]


def anchors_of(pattern: str) -> tuple[list[tuple[str, bool]], bool] | None:
    """Like ``literal_prefixes``, with each anchor paired with whether its last word is
    complete in every match (``\b(?:on)\s+strike`` -> ("on", True))."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    items = list(parsed)
    bounded = bool(items) and items[0] == (sre_c.AT, sre_c.AT_BOUNDARY)
    found = _first(items)
    if found is None or not found or any(len(s.rstrip(_END)) < 2 for s in found):
        return None
    pairs = {(s.rstrip(_END), s.endswith(_END)) for s in found}
    return sorted(pairs), bounded


def _ends_word(items: list[Any]) -> bool:
    """Whether what follows a literal run cannot continue its word."""
    if not items:
        return False
    op, arg = items[0]
    if op == sre_c.AT:
        return bool(arg == sre_c.AT_BOUNDARY)
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        if not _ends_word(list(arg[2])):
            return False
        return bool(arg[0] >= 1) or _ends_word(items[1:])  # optional: so must what follows
    if op == sre_c.SUBPATTERN:
        return _ends_word(list(arg[-1]) + items[1:])
    if op == sre_c.BRANCH:
        return all(_ends_word(list(b) + items[1:]) for b in arg[1])
    if op == sre_c.IN:
        return all(
            (o == sre_c.CATEGORY and a == sre_c.CATEGORY_SPACE) or (o == sre_c.LITERAL and a == 32)
            for o, a in arg
        )
    return bool(op == sre_c.LITERAL and arg == 32)


def _first(items: list[Any], extend: bool = True) -> set[str] | None:
    """Literal prefixes of a sequence of parsed items (None: not derivable); ``extend``:
    carry a literal run on into what follows (more specific anchors, but more of them)."""
    run: list[str] = []
    for i, (op, arg) in enumerate(items):
        if op == sre_c.LITERAL:
            run.append(chr(arg))
            continue
        rest = items[i:]
        if run:
            # extend the literal run into what follows ("co-?produc" -> co-produc, coproduc)
            head = "".join(run)
            tail = _first(rest) if extend else None
            if tail is None or len(tail) > _MAX_ANCHORS:
                return {head + _END if _ends_word(rest) else head}
            return {head + t for t in tail}
        rest = items[i + 1 :]
        if op in _ZERO_WIDTH:
            if op == sre_c.AT:
                continue
            return _first(rest)
        if op == sre_c.SUBPATTERN:
            return _first(list(arg[-1]) + rest)
        if op == sre_c.BRANCH:
            found = _union(_first(list(b) + rest, extend) for b in arg[1])
            if found is None and extend:
                # too many combinations: anchor each alternative on its own literal run
                found = _union(_first(list(b) + rest, False) for b in arg[1])
            return found
        if op == sre_c.IN and all(o == sre_c.LITERAL for o, _ in arg) and len(arg) <= 4:
            return _union(_first([(sre_c.LITERAL, a), *rest]) for _, a in arg)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            lo, _hi, sub = arg
            if lo >= 1:
                return _first(list(sub))
            return _union([_first(list(sub) + rest), _first(rest)])
        return None
    return {"".join(run)} if run else None


def later_words(pattern: str) -> list[list[tuple[str, bool]]]:
    """Words a match must contain after its start: for each top-level group or literal that
    follows a mandatory space (``\\s+``), its possible first words as (word, complete).
    ``\\b(?:was|is)\\s+under\\s+fire`` -> [[("under", True)], [("fire", False)]]."""
    try:
        items = list(sre_parse.parse(pattern))
    except re.error:
        return []
    out: list[list[tuple[str, bool]]] = []
    for i in range(1, len(items)):
        op, arg = items[i - 1]
        if not (op == sre_c.MAX_REPEAT and arg[0] >= 1 and _ends_word([items[i - 1]])):
            continue
        j = i
        while j < len(items) and items[j][0] == sre_c.LITERAL:
            j += 1
        if j > i:
            lang: set[str] | None = {"".join(chr(a) for _, a in items[i:j])}
            rest = items[j:]
        elif items[i][0] in (sre_c.SUBPATTERN, sre_c.BRANCH):
            lang, rest = _language([items[i]]), items[i + 1 :]
        else:
            continue
        if not lang or any(not w or not w[0].isalnum() for w in lang):
            continue
        words = []
        for w in lang:
            m = _LEADING_WORD.match(w)
            assert m is not None
            words.append((m.group(), m.end() < len(w) or _ends_word(rest)))
        out.append(sorted(set(words)))
    return out


def split_word_list(pattern: str) -> list[str]:
    """``\\b(?:a|b\\w*|c)\\b`` -> [``\\b(?:a)\\b``, ``\\b(?:b\\w*)\\b``, ``\\b(?:c)\\b``];
    any other shape -> [pattern]."""
    head, tail = "\\b(?:", ")\\b"
    if not (pattern.startswith(head) and pattern.endswith(tail)):
        return [pattern]
    body = pattern[len(head) : -len(tail)]
    parts, depth, cls, i, last = [], 0, False, 0, 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if cls:
            cls = c != "]"
        elif c == "[":
            cls = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return [pattern]  # the outer group closes early: not one word list
        elif c == "|" and depth == 0:
            parts.append(body[last:i])
            last = i + 1
        i += 1
    parts.append(body[last:])
    return [head + p + tail for p in parts]


def literal_language(pattern: str) -> set[str] | None:
    """Every string ``pattern`` can match, when that is a small finite set of plain text
    between word boundaries (a word list such as ``\\b(?:drones?|missiles?)\\b``)."""
    try:
        items = list(sre_parse.parse(pattern))
    except re.error:
        return None
    b = (sre_c.AT, sre_c.AT_BOUNDARY)
    if len(items) < 3 or items[0] != b or items[-1] != b:
        return None
    lang = _language(items[1:-1])
    if (
        lang is None
        or not lang
        or any(not w or not w[0].isalnum() or not w[-1].isalnum() for w in lang)
    ):
        return None
    return lang


def _language(items: list[Any]) -> set[str] | None:
    out = {""}
    for op, arg in items:
        if op == sre_c.LITERAL:
            part: set[str] | None = {chr(arg)}
        elif op == sre_c.SUBPATTERN:
            part = _language(list(arg[-1]))
        elif op == sre_c.BRANCH:
            part = _union(_language(list(b)) for b in arg[1])
        elif op == sre_c.IN and all(o == sre_c.LITERAL for o, _ in arg) and len(arg) <= 4:
            part = {chr(a) for _, a in arg}
        elif op == sre_c.MAX_REPEAT and arg[0] == 0 and arg[1] == 1:
            sub = _language(list(arg[2]))
            part = None if sub is None else sub | {""}
        else:
            return None
        if part is None or len(out) * len(part) > _MAX_ANCHORS:
            return None
        out = {a + b for a in out for b in part}
    return out


def _union(parts: Any) -> set[str] | None:
    out: set[str] = set()
    for p in parts:
        if p is None or not p:
            return None
        out |= p
        if len(out) > _MAX_ANCHORS:
            return None
    return out


@dataclass(slots=True)
class _Entry(Generic[T]):
    regex: re.Pattern[str] | None  # None: the anchor is the whole match (a word list)
    payload: T
    gates: tuple[frozenset[str], ...] = ()


class AnchorIndex(Generic[T]):
    """Many compiled patterns, each with a payload; ``finditer`` yields (payload, start, end)."""

    def __init__(self) -> None:
        # key (a whole first word, or a word prefix) -> [(anchor, ends a word, entries)]
        self._by_key: dict[str, list[tuple[str, bool, list[_Entry[T]]]]] = {}
        self._words: set[str] = set()  # keys that are whole words
        self._prefixes: set[str] = set()  # keys that are word prefixes
        self._prefix_lengths: list[int] = []
        self._heads: set[str] = set()  # first two letters of the prefixes: a quick reject
        self._unbounded: list[tuple[str, list[_Entry[T]]]] = []  # anchors not at a word start
        self._scan: list[_Entry[T]] = []  # no anchors: full scan
        # learnt: which words of texts seen so far start with a prefix key
        self._seen: set[str] = set()
        self._prefix_of: dict[str, tuple[str, ...]] = {}
        self._prefixed: set[str] = set()

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
            if whole:
                self._words.add(w)
            else:
                self._add_prefix(w)
        return frozenset(w for w, _ in words)

    def _add_prefix(self, key: str) -> None:
        if key in self._prefixes:
            return
        self._prefixes.add(key)
        self._prefix_lengths = sorted({len(p) for p in self._prefixes})
        self._heads = {p[:2] for p in self._prefixes}
        self._seen.clear()  # learnt words may start with the new prefix
        self._prefix_of.clear()
        self._prefixed.clear()

    def keys(self, regex: re.Pattern[str]) -> frozenset[str] | None:
        """The keys one of which any match of ``regex`` starts with (None: not derivable);
        usable as a gate once the patterns of ``regex`` are added to this index."""
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
        m = _LEADING_WORD.match(anchor)
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
        if prefix:
            self._add_prefix(key)
        else:
            self._words.add(key)
        # a complete word anchor ("un" in "un officials") must end where the word does
        ends = whole and key == anchor
        slot = self._by_key.setdefault(key, [])
        for a, e, entries in slot:
            if a == anchor and e == ends:
                entries.append(entry)
                return
        slot.append((anchor, ends, [entry]))

    @property
    def full_scan_patterns(self) -> list[str]:
        return [e.regex.pattern for e in self._scan if e.regex is not None]

    def present(self, words: set[str]) -> set[str]:
        """The keys of this index that occur in a text with these words."""
        found = words & self._words
        if self._prefixes:
            new = words - self._seen
            if new:
                self._learn(new)
            for w in words & self._prefixed:
                found.update(self._prefix_of[w])
        return found

    def _learn(self, new: set[str]) -> None:
        if len(self._seen) > _SEEN_MAX:
            self._seen.clear()
            self._prefix_of.clear()
            self._prefixed.clear()
        prefixes, lengths, heads = self._prefixes, self._prefix_lengths, self._heads
        for w in new:
            if w[:2] not in heads:
                continue
            hits = tuple(w[:n] for n in lengths if n <= len(w) and w[:n] in prefixes)
            if hits:
                self._prefix_of[w] = hits
                self._prefixed.add(w)
        self._seen |= new

    def finditer(
        self,
        low: str,
        words: set[str],
        keys: set[str] | None = None,
        gate_keys: set[str] | None = None,
    ) -> Iterator[tuple[T, int, int]]:
        """(payload, start, end) of every match in ``low`` (already lowercased); ``words``
        is ``words_of(low)``, ``keys`` (if known) ``self.present(words)`` and ``gate_keys``
        the keys present that gates are checked against (default: ``keys``)."""
        if keys is None:
            keys = self.present(words)
        gk = keys if gate_keys is None else gate_keys
        n = len(low)
        find = low.find
        gate_ok: dict[int, bool] = {}
        done: set[tuple[int, int]] = set()  # "drone" and "drones" lead to the same entries
        prefixes = self._prefixes
        for key in keys:
            slots = self._by_key.get(key)
            if not slots:
                continue
            live_slots = []
            for anchor, ends, entries in slots:
                live = [e for e in entries if not e.gates or _open(e, gk, gate_ok)]
                if live:
                    live_slots.append((anchor, ends, live))
            if not live_slots:
                continue
            # where the key starts a word (and, unless it is a prefix, ends one); an anchor
            # longer than its key ("the guardian") is cheaper to look for by itself
            size, whole = len(key), key not in prefixes
            starts: list[int] = []
            if any(len(a) == size for a, _, _ in live_slots):
                i = find(key)
                while i >= 0:
                    end = i + size
                    if (i == 0 or not low[i - 1].isalnum()) and (
                        not whole or end == n or not low[end].isalnum()
                    ):
                        starts.append(i)
                    i = find(key, end)
            for anchor, ends, live in live_slots:
                alen = len(anchor)
                if alen > size:
                    at = []
                    i = find(anchor)
                    while i >= 0:
                        if i == 0 or not low[i - 1].isalnum():
                            at.append(i)
                        i = find(anchor, i + 1)
                else:
                    at = starts
                for i in at:
                    end = i + alen
                    if ends and end < n and low[end].isalnum():
                        continue
                    for e in live:
                        if e.regex is None:
                            if end == n or not low[end].isalnum():
                                yield e.payload, i, end
                            continue
                        if (id(e), i) in done:
                            continue
                        done.add((id(e), i))
                        m = e.regex.match(low, i)
                        if m is not None:
                            yield e.payload, i, m.end()
        if self._unbounded:
            seen: set[tuple[int, int]] = set()  # one anchor may be a prefix of another
            for anchor, entries in self._unbounded:
                live = [e for e in entries if _open(e, gk, gate_ok)]
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
                                yield e.payload, i, end
                            continue
                        m = e.regex.match(low, i)
                        if m is not None:
                            seen.add((id(e), i))
                            yield e.payload, i, m.end()
                    i = find(anchor, i + 1)
        for e in self._scan:
            if e.regex is not None and _open(e, gk, gate_ok):
                for m in e.regex.finditer(low):
                    yield e.payload, m.start(), m.end()


def _open(e: _Entry[Any], keys: set[str], cache: dict[int, bool]) -> bool:
    k = id(e)
    ok = cache.get(k)
    if ok is None:
        ok = cache[k] = all(not g.isdisjoint(keys) for g in e.gates)
    return ok
