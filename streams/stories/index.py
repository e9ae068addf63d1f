"""The story index: article in, story decision out. Pure core, no Kafka.

Per article: exact duplicate (same id, or same canonical URL from another feed)?
republished with changes (an update)? else which story, found by band-key
candidates and confirmed by ``verify``; else a new story. State is one packed
record per remembered article plus small per-story headers, forgotten after
``window_hours`` by the articles' own times (``expire``). See docs/stories.md.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from streams.events import Source
from streams.stories import entry as en
from streams.stories.entry import IndexEntry
from streams.stories.fingerprint import Fingerprint, StoryDoc, band_ints, fingerprint, iso
from streams.stories.hashslots import HashSlots
from streams.stories.text import h64
from streams.stories.verify import SAME_STORY_THRESHOLD, match

MAX_STORY_KEYS = 40  # a huge story stops filing keys: it is found through them already
MEMBERS_CHECKED = 12
BLEND = 0.5  # weight of the best member match against the mean over members


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


class _Story:
    __slots__ = ("first_ts", "keys", "last_ts", "members", "min_ts", "sid")

    def __init__(self, sid: str, first_ts: float) -> None:
        self.sid = sid
        self.first_ts = self.last_ts = self.min_ts = first_ts
        self.members: list[bytes] = []
        self.keys = array("I")


def story_id_for(article_id: str) -> str:
    return f"s-{h64(article_id):016x}"[:14]


class StoryIndex:
    def __init__(
        self, window_hours: float = 72.0, *, max_candidates: int = 16, bucket_scan: int = 256
    ) -> None:
        self.window_s = window_hours * 3600.0
        self.max_candidates = max_candidates
        self.bucket_scan = bucket_scan
        self.stats = IndexStats()
        self._stories: dict[int, _Story] = {}
        self._slot_of: dict[str, int] = {}
        self._next_slot = 1
        self._seen = HashSlots()  # h64("i:" id) and h64("u:" url) -> story slot
        self._buckets: dict[int, array[int]] = {}
        self._outlets: list[str] = []
        self._outlet_ids: dict[str, int] = {}
        self._fig_kinds: list[str] = []
        self._fig_ids: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(len(s.members) for s in self._stories.values())

    # ---- the decision ---------------------------------------------------------------

    def assign(self, doc: StoryDoc) -> StoryDecision:
        self.stats.articles += 1
        fp = fingerprint(doc)
        known = self._known(doc)
        if known is not None:
            return self._republished(doc, fp, *known)
        story, best_syndicated = self._best_story(fp, doc)
        is_new = story is None
        if story is None:
            story = self._new_story(doc.article_id, doc.published_ts)
            self.stats.stories += 1
            kind = "new_story"
        else:
            self.stats.joined += 1
            kind = "joined"
        syndicated = best_syndicated and not is_new
        self.stats.syndicated += syndicated
        self._remember(story, self._entry(doc, fp, story, syndicated))
        return self._decision(story, kind, None, syndicated)

    def _known(self, doc: StoryDoc) -> tuple[_Story, int, bool] | None:
        """(story, member index, matched by id) of an article we already hold."""
        for key, by_id in ((h64("i:" + doc.article_id), True), (h64("u:" + doc.url), False)):
            if not by_id and not doc.url:
                continue
            slot = self._seen.get(key)
            story = self._stories.get(slot) if slot is not None else None
            if story is None:
                continue
            want = doc.article_id if by_id else doc.url
            for i, rec in enumerate(story.members):
                if en.ids_of(rec)[0 if by_id else 1] == want:
                    return story, i, by_id
        return None

    def _republished(
        self, doc: StoryDoc, fp: Fingerprint, story: _Story, i: int, by_id: bool
    ) -> StoryDecision:
        old = en.unpack(story.members[i], self._outlets, self._fig_kinds, story.sid)
        fields = []
        if old.fingerprint.title_hash != fp.title_hash:
            fields.append("title")
        if by_id and old.fingerprint.text_hash != fp.text_hash:
            fields.append("text")
        figures = {
            k: {"old": old.figures.get(k), "new": v}
            for k, v in doc.figures.items()
            if old.figures.get(k) != v
        }
        if by_id:
            figures.update(
                {k: {"old": v, "new": None} for k, v in old.figures.items() if k not in doc.figures}
            )
        if not by_id:
            self._seen.put(h64("i:" + doc.article_id), self._slot_of[story.sid])
        if not fields and not (by_id and figures):
            self.stats.duplicates += 1
            return self._decision(story, "duplicate", old.article_id, old.syndicated)
        self.stats.updates += 1
        new = IndexEntry(
            old.article_id,
            old.url,
            old.outlet,
            old.published_ts,
            story.sid,
            story.first_ts,
            fp,
            old.syndicated,
            dict(doc.figures),
        )
        story.members[i] = self._pack(new)
        changes: dict[str, Any] = {"fields": fields}
        if figures:
            changes["figures"] = figures
        return self._decision(story, "update", None, old.syndicated, changes)

    def _best_story(self, fp: Fingerprint, doc: StoryDoc) -> tuple[_Story | None, bool]:
        counts: dict[int, float] = {}
        for key in band_ints(fp):
            bucket = self._buckets.get(key)
            if bucket is not None:
                # a key few stories share says more than one every story shares (IDF)
                weight = 1.0 / math.log2(2 + len(bucket))
                for slot in bucket[-self.bucket_scan :]:
                    counts[slot] = counts.get(slot, 0.0) + weight
        ranked = sorted(counts, key=lambda s: (-counts[s], -s))[: self.max_candidates]
        outlet = self._outlet_ids.get(doc.outlet, -1)
        best: tuple[float, _Story | None, bool] = (SAME_STORY_THRESHOLD, None, False)
        for slot in ranked:
            story = self._stories[slot]
            members = story.members
            checked = (
                members
                if len(members) <= MEMBERS_CHECKED
                else [members[0], *members[-(MEMBERS_CHECKED - 1) :]]
            )
            scores: list[float] = []
            syn = False
            for rec in checked:
                ts, oid, _syn, other = en.fingerprint_of(rec)
                m = match(fp, other, abs(doc.published_ts - ts) / 3600.0)
                syn = syn or (m.syndicated and oid != outlet)
                scores.append(m.score)
            # half best match, half mean: one look-alike member cannot chain in an outsider
            s = (
                BLEND * max(scores)
                + (1 - BLEND) * sum(scores) / len(scores)
                + (1.0 if syn else 0.0)
            )
            if s >= best[0] and (s > best[0] or best[1] is None):
                best = (s, story, syn)
        return best[1], best[2]

    # ---- state ----------------------------------------------------------------------

    def _new_story(self, first_article_id: str, first_ts: float) -> _Story:
        sid = story_id_for(first_article_id)
        n = 2
        while sid in self._slot_of:  # hash clash or a reused first id: keep ids unique
            sid = f"{story_id_for(first_article_id)}-{n}"
            n += 1
        return self._story_for(sid, first_ts)

    def _story_for(self, sid: str, first_ts: float) -> _Story:
        slot = self._slot_of.get(sid)
        if slot is not None:
            return self._stories[slot]
        slot = self._next_slot
        self._next_slot += 1
        story = _Story(sid, first_ts)
        self._stories[slot] = story
        self._slot_of[sid] = slot
        return story

    def _entry(self, doc: StoryDoc, fp: Fingerprint, story: _Story, syn: bool) -> IndexEntry:
        return IndexEntry(
            doc.article_id,
            doc.url,
            doc.outlet,
            doc.published_ts,
            story.sid,
            story.first_ts,
            fp,
            syn,
            dict(doc.figures),
        )

    def _pack(self, e: IndexEntry) -> bytes:
        oid = self._outlet_ids.get(e.outlet)
        if oid is None:
            oid = self._outlet_ids[e.outlet] = len(self._outlets)
            self._outlets.append(e.outlet)
        for k in e.figures:
            if k not in self._fig_ids:
                self._fig_ids[k] = len(self._fig_kinds)
                self._fig_kinds.append(k)
        return en.pack(e, oid, self._fig_ids)

    def _remember(self, story: _Story, e: IndexEntry) -> None:
        slot = self._slot_of[story.sid]
        story.members.append(self._pack(e))
        story.last_ts = max(story.last_ts, e.published_ts)
        story.min_ts = min(story.min_ts, e.published_ts)
        self._seen.put(h64("i:" + e.article_id), slot)
        if e.url:
            self._seen.put(h64("u:" + e.url), slot)
        for key in band_ints(e.fingerprint):
            if key in story.keys or len(story.keys) >= MAX_STORY_KEYS:
                continue
            story.keys.append(key)
            bucket = self._buckets.get(key)
            if bucket is None:
                self._buckets[key] = array("I", (slot,))
            else:
                bucket.append(slot)

    def add_entry(self, e: IndexEntry) -> None:
        """Restore one remembered article (e.g. replayed from a table changelog)."""
        story = self._story_for(e.story_id, e.story_first_ts)
        story.first_ts = min(story.first_ts, e.story_first_ts)
        for i, rec in enumerate(story.members):
            if en.ids_of(rec)[0] == e.article_id:
                story.members[i] = self._pack(e)
                return
        self._remember(story, e)

    def entries(self) -> Iterator[IndexEntry]:
        for story in self._stories.values():
            for rec in story.members:
                yield en.unpack(rec, self._outlets, self._fig_kinds, story.sid)

    def entry_for(self, article_id: str) -> IndexEntry | None:
        """The remembered entry of one article (what the worker writes to its table)."""
        slot = self._seen.get(h64("i:" + article_id))
        story = self._stories.get(slot) if slot is not None else None
        if story is None:
            return None
        for rec in story.members:
            if en.ids_of(rec)[0] == article_id:
                return en.unpack(rec, self._outlets, self._fig_kinds, story.sid)
        return None

    def expire(self, now_ts: float) -> int:
        """Forget articles published before ``now_ts - window``; return how many."""
        return len(self.expire_ids(now_ts))

    def expire_ids(self, now_ts: float) -> list[str]:
        """Forget articles published before ``now_ts - window``; return their ids."""
        cutoff = now_ts - self.window_s
        dead_slots: set[int] = set()
        touched: set[int] = set()
        forgotten: list[str] = []
        for slot, story in list(self._stories.items()):
            if story.min_ts >= cutoff:
                continue
            keep = []
            for rec in story.members:
                if en.unpack_head(rec)[0] >= cutoff:
                    keep.append(rec)
                    continue
                aid, url = en.ids_of(rec)
                self._seen.pop(h64("i:" + aid))
                if url:
                    self._seen.pop(h64("u:" + url))
                forgotten.append(aid)
            story.members = keep
            if keep:
                story.min_ts = min(en.unpack_head(r)[0] for r in keep)
            else:
                dead_slots.add(slot)
                touched.update(story.keys)
                del self._stories[slot]
                del self._slot_of[story.sid]
        for key in touched:
            left = array("I", (s for s in self._buckets.get(key, ()) if s not in dead_slots))
            if left:
                self._buckets[key] = left
            else:
                self._buckets.pop(key, None)
        self.stats.expired += len(forgotten)
        return forgotten

    # ---- output ---------------------------------------------------------------------

    def _decision(
        self,
        story: _Story,
        kind: str,
        dup_of: str | None,
        syn: bool,
        changes: dict[str, Any] | None = None,
    ) -> StoryDecision:
        sources: dict[str, Source] = {}
        independent: set[str] = set()
        heads = sorted((en.unpack_head(r)[0], i, r) for i, r in enumerate(story.members))
        for ts, _i, rec in heads:
            head = en.unpack_head(rec)
            outlet = self._outlets[head[2]]
            member_syn = bool(head[5] & 1)
            if not member_syn:
                independent.add(outlet)
            if outlet not in sources or (sources[outlet].syndicated and not member_syn):
                aid, url = en.ids_of(rec)
                sources[outlet] = Source(outlet, url, aid, member_syn, iso(ts))
        return StoryDecision(
            story_id=story.sid,
            is_new_story=kind == "new_story",
            kind=kind,
            duplicate_of=dup_of,
            syndicated=syn,
            sources=list(sources.values()),
            source_count=len(independent),
            first_seen=iso(story.first_ts),
            changes=changes or {},
        )
