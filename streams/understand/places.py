"""Countries, regions and cities an article names, and which of them is where it happened.
Pure module.

Candidates are capitalised word runs looked up in the gazetteer (longest first). Words
that are also ordinary English ("Reading", "Nice", "Van") count only when capitalised in
running text right after a locative word; in a Title Case headline they never count.
A place is the *event* place when it follows a locative word ("in", "near", "struck") in a
sentence that carries category evidence, or when it is the dateline ("KYIV, Ukraine —").
"""

from __future__ import annotations

import re
from typing import Literal

from streams.events import Place
from streams.understand.gazetteer import Entry, first_tokens, gazetteer, lead_only_tokens
from streams.understand.place_runs import run_hits
from streams.understand.text import Doc

_RUN = re.compile(r"\b[A-Z][\w'’.-]*(?:[ \t]+(?:[A-Z][\w'’-]*|al-\w+|el-\w+))*")
_DATELINE = re.compile(
    r"([A-Z][A-Z'’. -]{2,30}?)(?:,\s*([A-Z][\w .-]{2,30}?))?\s*(?:\([^)]*\))?\s*[—–-]"
)
_LOCATIVE = frozenset(
    [
        "in",
        "on",
        "near",
        "at",
        "outside",
        "over",
        "into",
        "across",
        "around",
        "from",
        "inside",
        "targeting",
        "targeted",
        "hit",
        "hits",
        "struck",
        "strike",
        "strikes",
        "striking",
        "hitting",
        "attacked",
        "attacking",
        "shelled",
        "bombed",
        "pounded",
        "visited",
        "visit",
        "toward",
        "towards",
    ]
)
_SUFFIX = re.compile(r"[ \t]+(region|oblast|province|governorate|district|state)\b", re.I)
# "officials in Kyiv said": the place of the speaker, not of the event
_OBSERVERS = frozenset(
    [
        "officials",
        "authorities",
        "sources",
        "residents",
        "diplomats",
        "journalists",
        "correspondent",
        "embassy",
        "based",
    ]
)
_TWO_WORDS = re.compile(r"([A-Za-z]+)\W+[A-Za-z]+\W*$")


def _word_before(text: str, start: int) -> str:
    """The word before the locative word that precedes ``start``."""
    m = _TWO_WORDS.search(text, max(0, start - 40), start)
    return m.group(1).lower() if m else ""


def find_places(doc: Doc, evidence_sentences: set[int]) -> list[Place]:
    """Places in ``doc``; ``evidence_sentences`` are the starts of sentences (as given by
    ``doc.sentence``) that contain category evidence."""
    gaz = gazetteer()
    found: dict[str, Place] = {}
    for place in _datelines(doc, gaz):
        found.setdefault(place.name, place)
    text = doc.text
    title_case = (
        bool(doc.fields) and doc.fields[0] == "title" and _title_case(text[: doc.bounds[0][1]])
    )
    title_end = doc.bounds[0][1] if title_case else -1
    last_event_end = -1
    for run in _runs(text, doc.spaced):
        pos = run.start()
        for rel_start, rel_end, entry, ambiguous, static_ok in run_hits(run.group()):
            start, end = pos + rel_start, pos + rel_end
            in_title = start < title_end
            prev = _previous_word(text, start)
            locative = prev in _LOCATIVE
            # an ambiguous word ("Reading") counts only after a locative word in running text
            ok = (locative and not in_title and start > 0) if ambiguous else in_title or static_ok
            if not ok:
                continue
            kind = entry.kind
            shown = entry.name
            if kind == "city":
                suffix = _suffix(text, end)
                if suffix:
                    kind, shown, end = "region", f"{shown} {suffix.group(1).lower()}", suffix.end()
            role: Literal["event", "mentioned"] = "mentioned"
            if locative and evidence_sentences and doc.sentence(start)[0] in evidence_sentences:
                if _word_before(text, start) not in _OBSERVERS:
                    role = "event"
            elif last_event_end == start - 2 and text[max(0, start - 2) : start] == ", ":
                role = "event"  # "in Izhevsk, Russia": the country of an event place
            if role == "event":
                last_event_end = end
            old = found.get(shown)
            if old is not None and (old.role != "mentioned" or role != "event"):
                continue  # named before, and this mention would not replace it
            field, fs, fe = doc.local(start, end)
            found[shown] = Place(
                shown,
                entry.country_code,
                entry.lat,
                entry.lon,
                kind,
                role,
                text[start:end],
                field,
                fs,
                fe,
            )
    return sorted(found.values(), key=lambda p: (p.role != "event", p.field != "title", p.start))


# what a ``_SUFFIX`` word can start with (IGNORECASE: "ſ" is an "s")
_SUFFIX_FIRST = frozenset("ropgdsROPGDS\u017f")


def _suffix(text: str, end: int) -> re.Match[str] | None:
    """``_SUFFIX.match(text, end)``, without the regex call when the next character is
    not white space or the word after it cannot be a suffix (most places)."""
    c = text[end : end + 1]
    if c != " " and c != "\t":
        return None
    c = text[end + 1 : end + 2]
    if c in _SUFFIX_FIRST or c == " " or c == "\t":
        return _SUFFIX.match(text, end)
    return None


def _runs(text: str, spaced: str) -> list[re.Match[str]]:
    """The runs of capitalised words (``_RUN``) that contain the first word of a gazetteer
    name, in text order; ``spaced`` is ``text`` translated by ``NOT_WORD`` (``Doc.spaced``).
    Rather than matching ``_RUN`` all over the text (most runs are names of people, sentence
    starts...), we look for the capitalised tokens that may begin a place (a C-level split
    and a set intersection) and rebuild their runs."""
    cands = first_tokens().intersection(spaced.split())
    if not cands:
        return []
    starts: set[int] = set()
    n = len(text)
    lead_only = lead_only_tokens()
    find = text.find
    for c in cands:
        size = len(c)
        lead = c in lead_only
        i = find(c)
        while i >= 0:
            end = i + size
            after = text[end] if end < n else " "
            if i:
                b = text[i - 1]
                if b.isalnum() or b in _JOINERS:
                    i = find(c, end)
                    continue
            if not (after.isalnum() or after == "_") and not (
                lead and not text[end + 1 : end + 2].isupper()
            ):
                starts.add(_run_start(text, i))
            i = find(c, end)
    out = []
    match = _RUN.match
    for start in sorted(starts):
        m = match(text, start)
        if m is not None:
            out.append(m)
    return out


_JOINERS = frozenset("_-'’.")


def _in_word(c: str) -> bool:
    return c.isalnum() or c in _JOINERS


def _run_start(text: str, pos: int) -> int:
    """Where the run of capitalised words around the word at ``pos`` begins: walk back over
    ``[ \t]+Word`` while Word is capitalised (or al-/el-), as ``_RUN`` would have joined."""
    while True:
        k = pos
        while k > 0 and text[k - 1] in " \t":
            k -= 1
        if k == pos or k == 0:
            return pos
        # the word before: most often all letters back to a space (one C-level rfind and
        # isalnum), else walk back over its characters
        j = text.rfind(" ", 0, k) + 1
        if not (j and text[j:k].isalnum()):
            j = k
            while j > 0 and _in_word(text[j - 1]):
                j -= 1
        word = text[j:k]
        if not word or not (word[0].isupper() or word.startswith(("al-", "el-"))):
            return pos
        if j > 0 and text[j - 1].isalnum():
            return pos
        pos = j
        if "." in word:
            return pos  # only the first word of a run may carry a dot ("U.S. Army")


def _previous_word(text: str, start: int) -> str:
    """The ASCII word right before ``start``, separated from it by spaces or tabs only
    (punctuation between: not "in Nice"). By hand: a ``$``-anchored regex search would try
    every start position of the window."""
    seg = text[max(0, start - 20) : start]
    head = seg.rstrip(" \t")
    if len(head) == len(seg):
        return ""
    word = head[head.rfind(" ") + 1 :]
    if word.isalpha() and word.isascii():
        return word.lower()  # the common case: letters back to a space or the window's start
    j = len(head)
    while j > 0 and head[j - 1] in _ASCII_LETTERS:
        j -= 1
    return head[j:].lower()


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _title_case(title: str) -> bool:
    words = [w for w in title.split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _datelines(doc: Doc, gaz: dict[str, Entry]) -> list[Place]:
    out: list[Place] = []
    for fi, f in enumerate(doc.fields):
        if f == "title":
            continue
        lo, hi = doc.bounds[fi]
        m = _DATELINE.match(doc.text, lo, min(hi, lo + 80))
        if m is None:
            continue
        for g in (1, 2):
            raw = m.group(g)
            if not raw:
                continue
            name = raw.strip().title() if raw.isupper() else raw.strip()
            entry = gaz.get(name)
            if entry is None:
                continue
            _, fs, fe = doc.local(m.start(g), m.start(g) + len(raw.strip()))
            out.append(
                Place(
                    entry.name,
                    entry.country_code,
                    entry.lat,
                    entry.lon,
                    entry.kind,
                    "event",
                    raw.strip(),
                    f,
                    fs,
                    fe,
                )
            )
    return out
