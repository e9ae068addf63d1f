"""What every match of a regular expression must start with, and must contain: derived
from CPython's parse of the pattern, for the anchor index (anchors.py). Pure module.

``anchors_of(r"\\b(?:missile|drone)s?\\s+strikes?")`` -> drone, missile (word prefixes);
``later_words(r"\\b(?:was|is)\\s+under\\s+fire")`` -> "under" must be a word of the text.
"""

from __future__ import annotations

import re
import re._constants as sre_c
import re._parser as sre_parse
from typing import Any

_MAX_ANCHORS = 256  # an expansion larger than this is not worth it: scan instead
_ZERO_WIDTH = {sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT}
LEADING_WORD = re.compile(r"[^\W_]+")

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
    complete in every match (``\\b(?:on)\\s+strike`` -> ("on", True))."""
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
        if not _after_space(items, i):
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
            m = LEADING_WORD.match(w)
            assert m is not None
            words.append((m.group(), m.end() < len(w) or _ends_word(rest)))
        out.append(sorted(set(words)))
    return out


def _after_space(items: list[Any], i: int) -> bool:
    """Whether ``items[i]`` always starts right after white space: a mandatory ``\\s+``
    before it, with only optional groups that end in white space between ("in (?:an?\\s+)?
    (?:\\w+\\s+)?(?:strikes?|shelling)": the last group still starts a word)."""
    k = i - 1
    while k >= 0:
        op, arg = items[k]
        if op not in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            return False
        if arg[0] >= 1:
            return _ends_word([items[k]])
        if not _ends_in_space(list(arg[2])):
            return False
        k -= 1
    return False


def _ends_in_space(items: list[Any]) -> bool:
    """Whether every match of ``items`` ends with a white-space character."""
    if not items:
        return False
    op, arg = items[-1]
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        return bool(arg[0] >= 1) and _ends_in_space(list(arg[2]))
    if op == sre_c.SUBPATTERN:
        return _ends_in_space(list(arg[-1]))
    if op == sre_c.BRANCH:
        return all(_ends_in_space(list(b)) for b in arg[1])
    if op == sre_c.IN:
        return all(
            (o == sre_c.CATEGORY and a == sre_c.CATEGORY_SPACE) or (o == sre_c.LITERAL and a == 32)
            for o, a in arg
        )
    return bool(op == sre_c.LITERAL and arg == 32)


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
