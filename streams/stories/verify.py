"""Is this article about the same event as that one? The precision gate.

Candidates come cheaply from shared band keys; this decides. Evidence for: shared
keyword stems, shared names and places, shared numbers. Evidence against: both name
cities and none in common (two strikes in two cities), both name people or firms
and none in common (two different talks), a long time apart. Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.stories.fingerprint import Fingerprint
from streams.stories.text import resemblance

SAME_STORY_THRESHOLD = 0.55
SYNDICATED_RESEMBLANCE = 0.7
MIN_SKETCH = 4  # shingles below this are too few to call two texts copies


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
    facts_a = {*a.names, *a.places, *a.numbers}
    facts_b = {*b.names, *b.places, *b.numbers}
    return facts_a == facts_b or len(facts_a & facts_b) / len(facts_a | facts_b) >= 0.8


def score(a: Fingerprint, b: Fingerprint, gap_hours: float) -> float:
    ta, tb = set(a.tokens), set(b.tokens)
    shared = len(ta & tb)
    if not ta or not tb:
        return 0.0
    overlap = shared / min(len(ta), len(tb))
    jaccard = shared / len(ta | tb)
    s = 0.45 * overlap + 0.45 * jaccard
    shared_names = len(set(a.names) & set(b.names))
    shared_places = len(set(a.places) & set(b.places))
    shared_numbers = len(set(a.numbers) & set(b.numbers))
    s += 0.12 * min(shared_names, 3) + 0.15 * min(shared_places, 2) + 0.06 * min(shared_numbers, 2)
    if a.places and b.places and not shared_places:
        s -= 1.0  # two cities, two events: this alone should keep them apart
    if a.names and b.names and not shared_names:
        s -= 0.2 + 0.15 * min(len(a.names), len(b.names))
    else:
        # each side naming people or firms the other does not: two parties, two events
        only_a, only_b = len(a.names) - shared_names, len(b.names) - shared_names
        if only_a >= 2 and only_b >= 2:
            s -= 0.1 * min(only_a, only_b, 3)
    if a.numbers and b.numbers and not shared_numbers:
        s -= 0.1
    s -= 0.35 * min(max(gap_hours - 6.0, 0.0) / 24.0, 2.0)
    return s


def match(a: Fingerprint, b: Fingerprint, gap_hours: float) -> Match:
    if syndicated(a, b):
        return Match(1.0, True)
    return Match(score(a, b, gap_hours), False)


def same_story(a: Fingerprint, b: Fingerprint, gap_hours: float) -> bool:
    m = match(a, b, gap_hours)
    return m.syndicated or m.score >= SAME_STORY_THRESHOLD
