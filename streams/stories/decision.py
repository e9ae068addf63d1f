"""What the story stage says about one article, built from a story blob. Pure module."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from streams.events import Source
from streams.stories import packed as pk
from streams.stories.fingerprint import iso

if TYPE_CHECKING:
    from streams.stories.hot import Hot


@dataclass(slots=True)
class StoryDecision:
    story_id: str
    is_new_story: bool
    kind: str  # new_story | joined | update | duplicate
    duplicate_of: str | None
    syndicated: bool
    sources: list[Source]
    source_count: int  # independent outlets: syndicated copies do not count
    first_seen: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class IndexStats:
    articles: int = 0
    duplicates: int = 0
    updates: int = 0
    stories: int = 0
    joined: int = 0
    syndicated: int = 0
    expired: int = 0


_iso = lru_cache(maxsize=8192)(iso)  # a story's times recur in every decision about it


Reps = dict[int, tuple[int, float, bool, float]]


def representatives(blob: bytes) -> Reps:
    """outlet -> (record offset, time, syndicated, outlet's first time) of the member shown
    in ``sources``: an outlet's earliest own copy, else its earliest syndicated one."""
    reps: Reps = {}
    for start, _end, ts, oid, flags, _u in pk.iter_heads(blob):
        add_representative(reps, start, ts, oid, bool(flags & 1))
    return reps


def add_representative(reps: Reps, start: int, ts: float, oid: int, syn: bool) -> None:
    """``reps`` with one more member, the last of its blob."""
    cur = reps.get(oid)
    if cur is None:
        reps[oid] = (start, ts, syn, ts)
    elif (syn, ts) < (cur[2], cur[1]):
        reps[oid] = (start, ts, syn, min(ts, cur[3]))
    elif ts < cur[3]:
        reps[oid] = (*cur[:3], ts)


def listed_sources(
    blob: bytes, reps: Reps, order: list[int], outlets: list[str], shown: dict[int, Source]
) -> tuple[list[Source], int]:
    """(``sources`` in ``order``, how many are not syndicated); ``shown``: outlet -> its
    Source when already built (filled in as built)."""
    sources = []
    independent = 0
    for oid in order:
        src = shown.get(oid)
        if src is None:
            start, ts, member_syn, _first = reps[oid]
            aid, url = pk.ids_at(blob, start)
            src = shown[oid] = Source(outlets[oid], url, aid, member_syn, _iso(ts))
        sources.append(src)
        independent += not src.syndicated
    return sources, independent


def listed(reps: Reps) -> list[int]:
    """Outlets in the order ``sources`` lists them: by their first time, then by where
    their shown member is."""
    return [oid for _f, _s, oid in sorted([(r[3], r[0], oid) for oid, r in reps.items()])]


def decide(
    blob: bytes,
    outlets: list[str],
    kind: str,
    dup_of: str | None,
    syn: bool,
    changes: dict[str, Any] | None = None,
    reps: Reps | None = None,
    hot: Hot | None = None,
) -> StoryDecision:
    """The decision about one article, now in ``blob`` (``reps``: its representatives, when
    the caller has them already; ``hot``: the story's cached state, built from ``blob``)."""
    if hot is not None:
        sources, independent = hot.listed(outlets)
        sources = list(sources)
    else:
        if reps is None:
            reps = representatives(blob)
        sources, independent = listed_sources(blob, reps, listed(reps), outlets, {})
    first = pk.head(blob)[0]
    return StoryDecision(
        story_id=pk.story_id(blob),
        is_new_story=kind == "new_story",
        kind=kind,
        duplicate_of=dup_of,
        syndicated=syn,
        sources=sources,
        source_count=independent,
        first_seen=_iso(first),
        changes=changes or {},
    )
