"""Multi-label classification with the taxonomy's weighted patterns. Pure module.

A category's score is a noisy-or of the weights of its distinct patterns that matched
(a pattern counts once, however often it matches; a title match is boosted). A match is
dropped when one of the category's block patterns overlaps it (a workers' strike, to
strike a deal, a denial) or when a required cue group has no match within its window.

Patterns of every category share one anchor index; a pattern is only tried when the text
has a key word of each cue group it requires. Cue groups and blocks are looked for only in
a category where some pattern matched, so an article about nothing we know costs a few set
operations.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from streams.events import Category, Evidence
from streams.understand.anchors import AnchorIndex, inside
from streams.understand.taxonomy import PatternSpec, Taxonomy
from streams.understand.text import Doc

MAX_EVIDENCE = 6
# how far before a pattern match a block that overlaps it may start (the longest block
# reads about twenty words)
_BLOCK_REACH = 250
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Ref:
    cat: int
    pat: int  # pattern index; -1 for a cue group, -2 for a block
    cue: str = ""


class Classifier:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._patterns: AnchorIndex[_Ref] = AnchorIndex()
        # per category, an index per cue group ("" for its blocks): each is read only when a
        # match of the category needs it, and only near such matches
        self._context: list[dict[str, AnchorIndex[_Ref]]] = []
        # per category, per pattern: (weight, cue groups required, their window)
        self._info: list[list[tuple[float, tuple[str, ...], int]]] = []
        for ci, cat in enumerate(taxonomy.categories):
            context: dict[str, AnchorIndex[_Ref]] = {}
            cue_keys: dict[str, frozenset[str] | None] = {}
            for name, regexes in cat.cues.items():
                index = context[name] = AnchorIndex()
                keys: set[str] | None = set()
                for rx in regexes:
                    index.add(rx, _Ref(ci, -1, name))
                    k = index.keys(rx)
                    keys = None if keys is None or k is None else keys | k
                cue_keys[name] = None if keys is None else frozenset(keys)
            blocks = context[""] = AnchorIndex()
            for rx in cat.block:
                blocks.add(rx, _Ref(ci, -2))
            self._context.append(context)
            self._info.append([(p.weight, p.requires, p.window) for p in cat.patterns])
            for pi, pat in enumerate(cat.patterns):
                gates = tuple(g for r in pat.requires if (g := cue_keys[r]) is not None)
                self._patterns.add(pat.regex, _Ref(ci, pi), gates)

    def classify(self, doc: Doc) -> list[Category]:
        cats = self.taxonomy.categories
        low, words = doc.low, doc.words
        keys = self._patterns.present(words)  # every index's keys: gates are cue keys
        hits = self._patterns.matches(low, words, keys)
        if not hits:
            return []
        hits.sort(key=_by_position)  # evidence is kept in text order
        info = self._info
        # cue groups and blocks are read only near the matches of their category
        windows: dict[int, list[Span]] = {}
        for ref, start, end in hits:
            reach = info[ref.cat][ref.pat][2]
            windows.setdefault(ref.cat, []).append((start - max(reach, _BLOCK_REACH), end + reach))
        spans = _Context(self._context, low, words, keys, windows)
        best: list[dict[int, float]] = [{} for _ in cats]  # pattern index -> best weight
        # per category, the evidence kept so far as absolute spans (fields are disjoint and
        # a match never crosses a field's end, so overlapping spans are in the same field)
        kept: list[list[Span]] = [[] for _ in cats]
        boost = self.taxonomy.title_boost
        offsets, bounds = doc._offsets, doc.bounds
        title = bool(doc.fields) and doc.fields[0] == "title"
        nf = len(offsets)
        for ref, start, end in hits:
            ci, pi = ref.cat, ref.pat
            weight, requires, window = info[ci][pi]
            fi = bisect_right(offsets, start) - 1 if nf > 1 else 0
            if fi < 0:
                fi = 0
            lo, hi = bounds[fi]
            if end > hi:
                continue
            w = min(1.0, weight * boost) if fi == 0 and title else weight
            had = best[ci]
            ev = kept[ci]
            if len(ev) >= MAX_EVIDENCE and had.get(pi, 0.0) >= w:
                continue  # it could change nothing: skip the context checks
            if requires:
                w0, w1 = max(lo, start - window), min(hi, end + window)
                ok = True
                for name in requires:
                    # a cue inside the window that is not the match itself ("strikes" is a
                    # cue too)
                    for s, e in spans.get((ci, name)):
                        if s >= w0 and e <= w1 and (e <= start or s >= end):
                            break
                    else:
                        ok = False
                        break
                if not ok:
                    continue
            blocked = False
            for s, e in spans.get((ci, "")):
                if s < end and e > start:
                    blocked = True
                    break
            if blocked:
                continue
            if w > had.get(pi, 0.0):
                had[pi] = w
            if len(ev) < MAX_EVIDENCE:
                for s, e in ev:
                    if s < end and start < e:
                        break
                else:
                    ev.append((start, end))
        out: list[Category] = []
        for ci, cat in enumerate(cats):
            if not best[ci]:
                continue
            miss = 1.0
            for w in best[ci].values():
                miss *= 1.0 - w
            score = round(1.0 - miss, 3)
            if score >= cat.threshold:
                evidence = [doc.evidence(s, e) for s, e in kept[ci]]
                out.append(Category(cat.name, score, sorted(evidence, key=_evidence_order)))
        out.sort(key=lambda c: -c.score)
        return out

    def pattern_for(self, category: str, evidence: Evidence) -> PatternSpec | None:
        """The first pattern of ``category`` that matches this evidence (for explanations)."""
        for cat in self.taxonomy.categories:
            if cat.name == category:
                for p in cat.patterns:
                    if p.regex.fullmatch(evidence.text.lower()):
                        return p
        return None


_FIELD_ORDER = {"title": 0, "summary": 1, "content": 2}


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for lo, hi in sorted(spans):
        lo = max(lo, 0)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _by_position(hit: tuple[_Ref, int, int]) -> tuple[int, int, int]:
    return hit[1], hit[2], hit[0].pat


class _Context:
    """The spans of each (category, cue group | "" for blocks) near the category's matches,
    found on first use: most matches need one or two of a category's cue groups, and a
    match that cannot change the result needs none."""

    def __init__(
        self,
        indexes: list[dict[str, AnchorIndex[_Ref]]],
        low: str,
        words: set[str],
        keys: set[str],
        windows: dict[int, list[Span]],
    ) -> None:
        self._indexes, self._low, self._words, self._keys = indexes, low, words, keys
        self._windows = windows
        self._within: dict[int, list[Span]] = {}
        self._spans: dict[tuple[int, str], list[Span]] = {}

    def get(self, key: tuple[int, str]) -> list[Span]:
        got = self._spans.get(key)
        if got is None:
            ci, name = key
            within = self._within.get(ci)
            if within is None:
                within = self._within[ci] = _merge(self._windows[ci])
            index = self._indexes[ci][name]
            # filtering the matches costs fewer bisects than filtering every anchor position
            got = self._spans[key] = [
                (start, end)
                for _, start, end in index.matches(self._low, self._words, self._keys)
                if inside(within, start)
            ]
        return got


def _evidence_order(e: Evidence) -> tuple[int, int]:
    return _FIELD_ORDER.get(e.field, 3), e.start
