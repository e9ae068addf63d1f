"""The place names in a run of capitalised words, resolved once per distinct run and
memoised (places.py reads them). Pure module.

A run is looked up in the gazetteer longest name first (three words, two, one, each also
without a possessive "'s"). What decides whether a name counts and does not depend on
where the run stands is kept with it: an ordinary-English town name ("Reading") counts
only after a locative word, a name after a title is a person ("President Jackson"), and a
one-word name glued to another capitalised word usually is too ("Paris Hilton").
"""

from __future__ import annotations

import re

from streams.understand.gazetteer import AMBIGUOUS, Entry, gazetteer

_TITLES = frozenset(
    [
        "President",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "General",
        "Gen",
        "Minister",
        "Secretary",
        "Senator",
        "Governor",
        "Mayor",
        "Sir",
    ]
)
_FOLLOWERS = frozenset(
    [
        "Mayor",
        "Governor",
        "Region",
        "Oblast",
        "Province",
        "City",
        "Airport",
        "Mayor's",
        "Governor's",
        "Police",
        "Army",
        "Military",
        "Regional",
        "Authorities",
        "Officials",
        "Government",
        "Ministry",
        "Forces",
        "Embassy",
        "Health",
        "Interior",
        "Foreign",
        "Defence",
        "Defense",
        "Emergency",
        "Emergencies",
        "State",
        "National",
        "Red",
        "Civil",
    ]
)
_NON_SPACE = re.compile(r"\S+")

# (start, end) within the run, entry, ambiguous word, acceptable outside a title
_Hit = tuple[int, int, Entry, bool, bool]
_RUN_HITS: dict[str, tuple[_Hit, ...]] = {}
_RUN_HITS_MAX = 50_000  # distinct runs remembered before the memo is reset
_MEMO_LEN = 60  # longer runs (a Title Case headline) are rare to repeat: not memoised


def run_hits(run: str) -> tuple[_Hit, ...]:
    """The gazetteer names in a run of capitalised words, longest first, with what about
    them does not depend on where the run stands. A pure function of the run's text: memoised,
    as place names and the runs around them ("President Zelensky", "Kyiv") recur all day."""
    got = _RUN_HITS.get(run)
    if got is None:
        got = _resolve_run(run)
        if len(run) <= _MEMO_LEN:
            if len(_RUN_HITS) >= _RUN_HITS_MAX:
                _RUN_HITS.clear()
            _RUN_HITS[run] = got
    return got


def _resolve_run(run: str) -> tuple[_Hit, ...]:
    words = run.split()
    if len(words) == 1 and len(words[0]) < 3:
        return ()
    gaz = gazetteer()
    offsets = [m.start() for m in _NON_SPACE.finditer(run)]
    out: list[_Hit] = []
    i = 0
    while i < len(words):
        hit = _lookup(gaz, words, i)
        if hit is None:
            i += 1
            continue
        n, entry, name = hit
        start = offsets[i]
        end = start + len(
            _strip_possessive(run[start : offsets[i + n - 1] + len(words[i + n - 1])])
        )
        ambiguous = name in AMBIGUOUS or _strip_possessive(name) in AMBIGUOUS
        out.append((start, end, entry, ambiguous, _acceptable_anywhere(words, i, n)))
        i += n
    return tuple(out)


def _lookup(gaz: dict[str, Entry], words: list[str], i: int) -> tuple[int, Entry, str] | None:
    for n in (3, 2, 1):
        if i + n > len(words):
            continue
        name = " ".join(words[i : i + n])
        for cand in (name, _strip_possessive(name)):
            entry = gaz.get(cand)
            if entry is not None:
                return n, entry, cand
    return None


def _strip_possessive(name: str) -> str:
    if name[-1:] not in _TAIL_CHARS:
        return name  # the common case, without building new strings
    name = name.rstrip(".,;:")
    for tail in ("'s", "’s", "'", "’"):
        if name.endswith(tail):
            return name[: -len(tail)]
    return name


_TAIL_CHARS = frozenset(".,;:'’s")


def _acceptable_anywhere(words: list[str], i: int, n: int) -> bool:
    """Whether the (unambiguous) name ``words[i:i+n]`` counts outside a Title Case
    headline (inside one it always does)."""
    if i > 0 and words[i - 1].rstrip(".") in _TITLES:
        return False  # "President Jackson"
    nxt = words[i + n] if i + n < len(words) else None
    # "Paris Hilton": a place name glued to another capitalised word is usually a person
    return nxt is None or nxt in _FOLLOWERS or not (n == 1 and nxt[:1].isupper() and i == 0)
