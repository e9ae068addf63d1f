"""Is this article about the same event as that one? The precision gate.

Candidates come cheaply from shared band keys; this decides. Evidence for: shared
keyword stems, shared names and places, shared numbers, a shared anchor (the same
place or named party and the same kind of site or event). Evidence against: both name
cities and none in common (two strikes in two cities), both name sites and none of the
same kind (a depot and a hospital in one city), both name people or firms and none in
common (two different talks), a long time apart -- unless the article is worded as a
follow-up of an anchored story ("toll rises to", "suspect named"). Pure module.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from streams.stories.fingerprint import Fingerprint
from streams.stories.text import h32, resemblance, stem

SAME_STORY_THRESHOLD = 0.5
SYNDICATED_RESEMBLANCE = 0.7
MIN_SKETCH = 4
W_NAME = 0.12
W_PLACE = 0.15
GAP_FREE_HOURS = 6.0
GAP_PER_DAY = 0.35
# An article anchored to a story (the same place or named party, and the same kind of
# site or event) and worded as a follow-up ("toll rises to") may come a day or two
# later: tolls are revised, suspects named. Other articles get the short free gap.
CUED_GAP_FREE_HOURS = 72.0
W_FOLLOW_UP = 0.2
W_ANCHOR = 0.1
SITE_CONFLICT = 0.45


def _site_classes(groups: str) -> dict[int, int]:
    """Stem hash -> site class; words on one line name one kind of site."""
    out: dict[int, int] = {}
    for line in groups.strip().splitlines():
        words = line.split()
        for w in words:
            out[h32(stem(w))] = h32(stem(words[0]))
    return out


# What was hit or where it happened, as a kind of site. Two events in one city on one
# day are told apart by this (a depot and a hospital in Odesa); a follow-up names the
# same kind of site. One line per kind: a rewrite may say "station" for "metro".
SITES = _site_classes(
    """
    depot
    refinery
    plant substation
    hospital clinic
    school university college kindergarten
    market
    warehouse
    port terminal silo dock harbour harbor
    airport airfield
    station train railway rail metro subway tram
    bus
    ferry boat ship vessel
    apartment
    hotel
    mine pit colliery
    bridge
    church mosque temple
    prison jail
    checkpoint
    stadium
    """
)


@dataclass(slots=True, frozen=True)
class Match:
    score: float
    syndicated: bool


def syndicated(a: Fingerprint, b: Fingerprint) -> bool:
    """Near-identical text: the same wire copy, whatever headline the outlet put on it."""
    if len(a.sketch) < MIN_SKETCH or len(b.sketch) < MIN_SKETCH:
        return False
    if resemblance(a.sketch, b.sketch) < SYNDICATED_RESEMBLANCE:
        return False
    # Formulaic copy (one template, other names and numbers) is not a reprint.
    return same_facts({*a.names, *a.places, *a.numbers}, {*b.names, *b.places, *b.numbers})


def same_facts(facts_a: set[int], facts_b: set[int]) -> bool:
    return facts_a == facts_b or len(facts_a & facts_b) / len(facts_a | facts_b) >= 0.8


@dataclass(slots=True)
class Query:
    """One article's features as sets, built once and compared with many stories."""

    tokens: frozenset[int]
    names: frozenset[int]
    places: frozenset[int]
    numbers: frozenset[int]
    sites: frozenset[int]
    cued: bool

    @classmethod
    def of(cls, fp: Fingerprint) -> Query:
        t, n, p, x = (frozenset(v) for v in (fp.tokens, fp.names, fp.places, fp.numbers))
        return cls(t, n, p, x, frozenset(SITES[h] for h in t if h in SITES), fp.cued)


def score_against(
    q: Query,
    tokens: Collection[int],
    names: Collection[int],
    places: Collection[int],
    numbers: Collection[int],
    gap_hours: float,
) -> float:
    """How strongly one article (``q``) matches a text's features (distinct values each)."""
    if not q.tokens or not tokens:
        return 0.0
    # (conditionals in place of min(): the same ints, without a call each)
    nq, nt = len(q.tokens), len(tokens)
    shared = len(q.tokens.intersection(tokens))
    overlap = shared / (nq if nq < nt else nt)
    jaccard = shared / (nq + nt - shared)
    s = 0.45 * overlap + 0.45 * jaccard
    shared_names = len(q.names.intersection(names)) if q.names else 0
    shared_places = len(q.places.intersection(places)) if q.places else 0
    shared_numbers = len(q.numbers.intersection(numbers)) if q.numbers else 0
    s += W_NAME * (shared_names if shared_names < 3 else 3) + W_PLACE * (
        shared_places if shared_places < 2 else 2
    )
    s += 0.06 * (shared_numbers if shared_numbers < 2 else 2)
    if q.places and places and not shared_places:
        s -= 1.0  # two cities, two events: this alone should keep them apart
    if q.names and names and not shared_names:
        na, nb = len(q.names), len(names)
        s -= 0.2 + 0.15 * (na if na < nb else nb)
    else:
        # each side naming people or firms the other does not: two parties, two events
        only_a, only_b = len(q.names) - shared_names, len(names) - shared_names
        if only_a >= 2 and only_b >= 2:
            s -= 0.1 * min(only_a, only_b, 3)
    same_site = site_conflict = False
    if q.sites:  # most articles name no site: skip the story's tokens
        their_sites = set(map(SITES.get, tokens))
        their_sites.discard(None)
        same_site = not q.sites.isdisjoint(their_sites)
        site_conflict = bool(their_sites) and not same_site
    if site_conflict:
        s -= SITE_CONFLICT  # one city, two sites hit: two events
    # the incident's anchor: who or where, and what kind of event or site
    anchored = (
        not site_conflict
        and not (q.places and places and not shared_places)
        and (
            (shared_places + shared_names >= 1 and (same_site or shared >= 2 or shared_numbers))
            or shared_names + shared_places >= 3
        )
    )
    follow_up = anchored and q.cued
    if follow_up:
        s += W_FOLLOW_UP
    elif anchored and gap_hours <= GAP_FREE_HOURS:
        s += W_ANCHOR  # rewrites come within hours; a repeat days later is a new event
    if q.numbers and numbers and not shared_numbers and not follow_up:
        s -= 0.1  # a revised toll is not a conflict when the incident is the same
    free = CUED_GAP_FREE_HOURS if follow_up else GAP_FREE_HOURS
    s -= GAP_PER_DAY * min(max(gap_hours - free, 0.0) / 24.0, 2.0)
    return s


def score(a: Fingerprint, b: Fingerprint, gap_hours: float) -> float:
    return score_against(Query.of(a), b.tokens, b.names, b.places, b.numbers, gap_hours)


def match(a: Fingerprint, b: Fingerprint, gap_hours: float) -> Match:
    if syndicated(a, b):
        return Match(1.0, True)
    return Match(score(a, b, gap_hours), False)


def same_story(a: Fingerprint, b: Fingerprint, gap_hours: float) -> bool:
    m = match(a, b, gap_hours)
    return m.syndicated or m.score >= SAME_STORY_THRESHOLD
