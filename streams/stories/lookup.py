"""Which remembered story is this article about? Candidates, then the verifier. Pure module.

Work per article is bounded whatever the index size: at most ``keep`` stories per band
key, scored only when they share enough weighted keys, and each candidate is compared
once, with its story summary, not with every member.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from itertools import compress
from operator import itemgetter

from streams.stories import packed as pk
from streams.stories.candidates import KeyBuckets
from streams.stories.fingerprint import Fingerprint
from streams.stories.hot import COPIES_FROM, NearCopies
from streams.stories.text import resemblance
from streams.stories.verify import (
    MIN_SKETCH,
    SAME_STORY_THRESHOLD,
    SYNDICATED_RESEMBLANCE,
    Query,
    same_facts,
    score_against,
)

# weighted shared keys a candidate needs before it is scored: one rare key (a place,
# a name) or several common ones; a story sharing one common word is never the same event
MIN_EVIDENCE = 4
SYN_CHECKED = 3  # candidates whose members are tested for a near-copy of the article
_count = itemgetter(1)
_ENOUGH = (MIN_EVIDENCE - 1).__lt__  # n >= MIN_EVIDENCE


def weight(stories: int, keep: int) -> int:
    """A key few stories carry says more (IDF, in integer steps)."""
    return 4 if stories <= 1 else 3 if stories <= 3 else 2 if stories < keep // 2 else 1


@lru_cache(maxsize=8)
def _weights(keep: int) -> tuple[int, ...]:
    return tuple(weight(n, keep) for n in range(keep + 1))


def candidates(buckets: KeyBuckets, keys: list[int]) -> list[tuple[int, int]]:
    """(story slot, weighted shared keys), best first; ties: rarer key, newer story."""
    pool: list[int] = []
    keep = buckets.keep
    weights = _weights(keep)
    multi, single = buckets.multi_get, buckets.single_get
    for key in keys:  # rare keys first
        bucket = multi(key)
        if bucket is not None:
            found = bucket[: -keep - 1 : -1]  # newest first
            pool.extend(found * weights[len(found)])  # repeated so counting stays in C
        else:
            slot = single(key)
            if slot is not None:
                pool.extend((slot,) * weights[1])
    if not pool:
        return []
    counts = Counter(pool)
    # filtered in C: most stories share one common key, and a Python loop over them costs
    ranked = list(compress(counts.items(), map(_ENOUGH, counts.values())))
    return sorted(ranked, key=_count, reverse=True)


def best_story(
    ranked: list[tuple[int, int]],
    blob_of: Callable[[int], bytes | None],
    fp: Fingerprint,
    ts: float,
    outlet: int,
    copies_of: Callable[[int, bytes], NearCopies | None] | None = None,
) -> tuple[int | None, bool]:
    """(slot of the best story scoring over the threshold or None, is a reprint).

    ``copies_of(slot, blob)``: the story's ``NearCopies`` when it keeps one (big stories)."""
    q = Query.of(fp)
    probe: Probe | None = None
    best: tuple[float, int | None, bool] = (SAME_STORY_THRESHOLD, None, False)
    for rank, (slot, _n) in enumerate(ranked):
        blob = blob_of(slot)
        if blob is None:
            continue
        lo, hi, n, tokens, names, places, numbers = pk.scoring_view(blob)
        gap = max(lo - ts, ts - hi, 0.0) / 3600.0
        s = score_against(q, tokens, names, places, numbers, gap)
        syn = False
        if rank < SYN_CHECKED and s + 1.0 >= best[0]:
            copies = copies_of(slot, blob) if copies_of is not None and n >= COPIES_FROM else None
            if probe is None:
                probe = Probe(fp)
            syn = near_copy_in(blob, fp, outlet, copies, probe)
            s += 1.0 if syn else 0.0
        if s >= best[0] and (s > best[0] or best[1] is None):
            best = (s, slot, syn)
    return best[1], best[2]


class Probe:
    """One article's near-copy inputs, built once for the stories it is tested against."""

    __slots__ = ("_facts", "_fp", "have", "mine", "needles")

    def __init__(self, fp: Fingerprint) -> None:
        self._fp = fp
        self.mine = tuple(map(_HIGH16, fp.sketch))  # as records keep them
        self.have = set(self.mine)
        self.needles = [struct.pack("<H", v) for v in self.mine[:3]]
        self._facts: set[int] | None = None

    @property
    def facts(self) -> set[int]:
        if self._facts is None:
            fp = self._fp
            self._facts = set(pk.facts_of(fp.names, fp.places, fp.numbers))
        return self._facts


_HIGH16 = (16).__rrshift__  # v >> 16


def near_copy_in(
    blob: bytes,
    fp: Fingerprint,
    outlet: int,
    copies: NearCopies | None = None,
    probe: Probe | None = None,
) -> bool:
    """Does another outlet's member carry the same wire copy (a reprint)?

    ``copies``: the story's members indexed by their facts (same answer, without
    walking every member of a big story); ``probe``: ``Probe(fp)`` when already built."""
    if len(fp.sketch) < MIN_SKETCH:
        return False
    p = probe if probe is not None else Probe(fp)
    mine = p.mine
    # a reprint shares most of the smallest shingle hashes; a byte search rules out
    # most stories without unpacking a single member
    if not any(map(blob.__contains__, p.needles)):
        return False
    if copies is not None:
        return copies.any_copy(mine, p.facts, outlet)
    have = p.have
    n = len(mine)
    for oid, sketch, start in pk.sketches(blob):
        if oid == outlet or len(sketch) < MIN_SKETCH:
            continue
        # shared values bound the resemblance from above: most members fail here, cheaply
        if len(have.intersection(sketch)) / (n if n < len(sketch) else len(sketch)) < _SYN:
            continue
        if resemblance(mine, sketch) < SYNDICATED_RESEMBLANCE:
            continue
        if same_facts(p.facts, set(pk.facts_at(blob, start))):
            return True
    return False


_SYN = SYNDICATED_RESEMBLANCE
