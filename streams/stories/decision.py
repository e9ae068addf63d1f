"""What the story stage says about one article, built from a story blob. Pure module."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from streams.events import Source
from streams.stories import packed as pk
from streams.stories.fingerprint import iso


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


def representatives(blob: bytes) -> dict[int, tuple[int, float, bool, float]]:
    """outlet -> (record offset, time, syndicated, outlet's first time) of the member shown
    in ``sources``: an outlet's earliest own copy, else its earliest syndicated one."""
    reps: dict[int, tuple[int, float, bool, float]] = {}
    for start, _end, ts, oid, flags, _u in pk.iter_heads(blob):
        syn = bool(flags & 1)
        cur = reps.get(oid)
        if cur is None:
            reps[oid] = (start, ts, syn, ts)
        elif (syn, ts) < (cur[2], cur[1]):
            reps[oid] = (start, ts, syn, min(ts, cur[3]))
        elif ts < cur[3]:
            reps[oid] = (*cur[:3], ts)
    return reps


def decide(
    blob: bytes,
    outlets: list[str],
    kind: str,
    dup_of: str | None,
    syn: bool,
    changes: dict[str, Any] | None = None,
) -> StoryDecision:
    reps = sorted(representatives(blob).values(), key=lambda r: (r[3], r[0]))
    sources = []
    for start, ts, member_syn, _first in reps:
        aid, url = pk.ids_at(blob, start)
        outlet = outlets[pk.outlet_at(blob, start)]
        sources.append(Source(outlet, url, aid, member_syn, _iso(ts)))
    first = pk.head(blob)[0]
    return StoryDecision(
        story_id=pk.story_id(blob),
        is_new_story=kind == "new_story",
        kind=kind,
        duplicate_of=dup_of,
        syndicated=syn,
        sources=sources,
        source_count=sum(1 for r in reps if not r[2]),
        first_seen=_iso(first),
        changes=changes or {},
    )
