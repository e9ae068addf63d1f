"""Fast multi-pattern matching: run many regexes over a text without scanning it once per regex.

A regex that does not start with a literal costs a full character-by-character scan in
CPython's ``re`` (~20 µs per KB), so forty patterns would blow the per-article budget.
At load time we derive, for each pattern, the literal strings every match must *start*
with (its anchors). At match time we tokenise once, keep only anchors whose first four
letters begin some word of the text (an anchor whose first word is shorter must meet
that whole word), find their occurrences with ``str.find`` and try the
pattern only there (``Pattern.match`` at that position). Patterns whose anchors cannot be
derived fall back to a plain ``finditer``. Pure module.
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
_GATE = 4  # anchors are gated on the first letters of the words of the text
_ZERO_WIDTH = {sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT}

_LEADING_WORD = re.compile(r"[^\W_]+")


def words_of(low: str) -> list[tuple[int, str]]:
    """(offset, word) for every word of a text: where anchored patterns may start."""
    return [(m.start(), m.group()) for m in _LEADING_WORD.finditer(low)]


def literal_prefixes(pattern: str) -> tuple[list[str], bool] | None:
    """Strings one of which every match of ``pattern`` starts with, and whether a word
    boundary precedes them; None when no such finite set exists (or it is too large)."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    items = list(parsed)
    bounded = bool(items) and items[0] == (sre_c.AT, sre_c.AT_BOUNDARY)
    found = _first(items)
    if found is None or not found or any(len(s) < 2 for s in found):
        return None
    return sorted(set(found)), bounded


def _first(items: list[Any]) -> set[str] | None:
    """Literal prefixes of a sequence of parsed items (None: not derivable)."""
    run: list[str] = []
    for i, (op, arg) in enumerate(items):
        if op == sre_c.LITERAL:
            run.append(chr(arg))
            continue
        rest = items[i:]
        if run:
            # extend the literal run into what follows ("co-?produc" -> co-produc, coproduc)
            head = "".join(run)
            tail = _first(rest)
            if tail is None or len(tail) > _MAX_ANCHORS:
                return {head}
            return {head + t for t in tail}
        rest = items[i + 1 :]
        if op in _ZERO_WIDTH:
            if op == sre_c.AT:
                continue
            return _first(rest)
        if op == sre_c.SUBPATTERN:
            return _first(list(arg[-1]) + rest)
        if op == sre_c.BRANCH:
            return _union(_first(list(b) + rest) for b in arg[1])
        if op == sre_c.IN and all(o == sre_c.LITERAL for o, _ in arg) and len(arg) <= 4:
            return _union(_first([(sre_c.LITERAL, a), *rest]) for _, a in arg)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            lo, _hi, sub = arg
            if lo >= 1:
                return _first(list(sub))
            return _union([_first(list(sub) + rest), _first(rest)])
        return None
    return {"".join(run)} if run else None


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


class AnchorIndex(Generic[T]):
    """Many compiled patterns, each with a payload; ``finditer`` yields (payload, match)."""

    def __init__(self) -> None:
        # first letters of a word -> (anchor, entries) that may start at that word
        self._gated: dict[str, list[tuple[str, list[_Entry[T]]]]] = {}
        self._exact: dict[str, list[tuple[str, list[_Entry[T]]]]] = {}  # by whole first word
        # anchors not known to start a word: found with str.find
        self._ungated_entries: dict[str, list[tuple[str, list[_Entry[T]]]]] = {}
        self._scan: list[_Entry[T]] = []  # no anchors: full scan

    def add(self, regex: re.Pattern[str], payload: T) -> None:
        parts = split_word_list(regex.pattern)
        if len(parts) > 1:
            # one entry per alternative, so the plain words take the fast path
            for part in parts:
                self.add(re.compile(part, regex.flags), payload)
            return
        words = literal_language(regex.pattern)
        if words is not None:
            # a plain word list: matching is "this anchor, then a word boundary"
            entry = _Entry(None, payload)
            for w in words:
                self._add_anchor(w, True, entry, whole=True)
            return
        entry = _Entry(regex, payload)
        derived = literal_prefixes(regex.pattern)
        if derived is None:
            self._scan.append(entry)
            return
        anchors, bounded = derived
        for anchor in anchors:
            self._add_anchor(anchor, bounded, entry)

    def _add_anchor(
        self, anchor: str, bounded: bool, entry: _Entry[T], whole: bool = False
    ) -> None:
        key = _LEADING_WORD.match(anchor)
        if not bounded or key is None:
            where, gate = self._ungated_entries, anchor
        elif whole or key.end() < len(anchor):
            # the anchor's first word is complete: look it up by the whole word
            where, gate = self._exact, key.group()
        else:
            # a word prefix ("produc"): gate on its first _GATE letters; a shorter one
            # ("hit", "un") gates on that whole word of the text
            where, gate = self._gated, key.group()[:_GATE]
        slot = where.setdefault(gate, [])
        for a, entries in slot:
            if a == anchor:
                entries.append(entry)
                return
        slot.append((anchor, [entry]))

    @property
    def full_scan_patterns(self) -> list[str]:
        return [e.regex.pattern for e in self._scan if e.regex is not None]

    def finditer(self, low: str, words: list[tuple[int, str]]) -> Iterator[tuple[T, int, int]]:
        """(payload, start, end) of every match in ``low`` (already lowercased);
        ``words`` is ``words_of(low)``."""
        gated, exact = self._gated, self._exact
        startswith = low.startswith
        n = len(low)
        for pos, word in words:
            cands = gated.get(word[:_GATE])
            more = exact.get(word)
            if more is not None:
                cands = more if cands is None else cands + more
            if cands is None:
                continue
            tried: set[int] | None = set() if len(cands) > 1 else None
            for anchor, entries in cands:
                if not startswith(anchor, pos):
                    continue
                end = pos + len(anchor)
                for e in entries:
                    if e.regex is None:
                        if end == n or not low[end].isalnum():
                            yield e.payload, pos, end
                        continue
                    if tried is not None:
                        # "drone" and "drones" lead to the same patterns
                        if id(e) in tried:
                            continue
                        tried.add(id(e))
                    m = e.regex.match(low, pos)
                    if m is not None:
                        yield e.payload, pos, m.end()
        if self._ungated_entries:
            seen: set[tuple[int, int]] = set()  # one anchor may be a prefix of another
            find = low.find
            for ((anchor, entries),) in self._ungated_entries.values():
                i = find(anchor)
                while i >= 0:
                    for e in entries:
                        if (id(e), i) in seen:
                            continue
                        if e.regex is None:
                            end = i + len(anchor)
                            ok = (end == n or not low[end].isalnum()) and (
                                i == 0 or not low[i - 1].isalnum()
                            )
                            if ok:
                                seen.add((id(e), i))
                                yield e.payload, i, end
                            continue
                        m = e.regex.match(low, i)
                        if m is not None:
                            seen.add((id(e), i))
                            yield e.payload, i, m.end()
                    i = find(anchor, i + 1)
        for e in self._scan:
            assert e.regex is not None
            for m in e.regex.finditer(low):
                yield e.payload, m.start(), m.end()
