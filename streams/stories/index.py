"""The story index: article in, story decision out. Pure core, no Kafka.

Per article: exact duplicate (same id, or same canonical URL from another feed)?
republished with changes (an update)? else which story, found by band-key
candidates and confirmed by ``verify`` against each candidate's summary; else a
new story. A story is one packed blob (``packed``), forgotten member by member after
``window_hours`` by the articles' own times (``expire``). See docs/stories.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from streams.stories import lookup
from streams.stories import packed as pk
from streams.stories.candidates import KeyBuckets
from streams.stories.decision import IndexStats, StoryDecision, add_representative, decide
from streams.stories.entry import IndexEntry
from streams.stories.fingerprint import Fingerprint, StoryDoc, band_ints, fingerprint
from streams.stories.hashslots import HashSlots
from streams.stories.hot import COPIES_FROM, Hot, HotStories, NearCopies
from streams.stories.text import h64

__all__ = ["IndexStats", "StoryDecision", "StoryIndex", "story_id_for"]

EXPIRE_STEP = 1 / 48  # of the window: walks at most this often, so sweeps stay amortised
_EMPTY = pk.Summary((), (), (), ())


def _id_keys(article_id: str, url: str) -> tuple[int, int]:
    """(h64 of "i:" id, of "u:" URL or 0): what an article is found by again."""
    return h64("i:" + article_id), h64("u:" + url) if url else 0


def story_id_for(article_id: str) -> str:
    return f"s-{h64(article_id):016x}"[:14]


class StoryIndex:
    def __init__(
        self, window_hours: float = 72.0, *, max_candidates: int = 8, bucket_keep: int = 16
    ) -> None:
        self.window_s = window_hours * 3600.0
        self.max_candidates = max_candidates
        self.stats = IndexStats()
        self._stories: list[bytes | None] = []  # by slot - _base; slots only grow
        self._base = 1
        self._live = 0
        self._members = 0
        self._dead_since_sweep = 0
        self._walked_to = float("-inf")
        self._sids = HashSlots()  # h64(story id) -> slot
        self._seen = HashSlots()  # h64("i:" id) and h64("u:" url) -> slot
        self._buckets = KeyBuckets(bucket_keep)
        self._outlets: list[str] = []
        self._outlet_ids: dict[str, int] = {}
        self._fig_kinds: list[str] = []
        self._fig_ids: dict[str, int] = {}
        self._last: IndexEntry | None = None  # full entry of the last article decided
        self._hot = HotStories()  # unpacked state of the stories touched last (a cache)

    def __len__(self) -> int:
        return self._members

    # ---- the decision ---------------------------------------------------------------

    def assign(self, doc: StoryDoc) -> StoryDecision:
        self.stats.articles += 1
        fp = doc.fp or fingerprint(doc)
        id_keys = _id_keys(doc.article_id, doc.url)
        known = self._known(doc, id_keys)
        if known is not None:
            return self._republished(doc, fp, *known)
        keys = band_ints(fp)
        slot, syndicated = self._best_story(fp, doc, keys)
        if slot is None:
            slot = self._new_story(doc.article_id, doc.published_ts)
            self.stats.stories += 1
            kind = "new_story"
        else:
            self.stats.joined += 1
            kind = "joined"
        self.stats.syndicated += syndicated
        blob = self._blob(slot)
        assert blob is not None
        e = IndexEntry(
            doc.article_id,
            doc.url,
            doc.outlet,
            doc.published_ts,
            pk.story_id(blob),
            pk.head(blob)[0],
            fp,
            syndicated,
            dict(doc.figures),
        )
        self._last = e
        blob, hot = self._remember(slot, e, keys, id_keys)
        return decide(blob, self._outlets, kind, None, syndicated, hot=hot)

    def _blob(self, slot: int) -> bytes | None:
        i = slot - self._base
        return self._stories[i] if 0 <= i < len(self._stories) else None

    def _known(
        self, doc: StoryDoc, id_keys: tuple[int, int]
    ) -> tuple[int, bytes, pk.Member, bool] | None:
        """(slot, blob, member, matched by id) of an article we already hold."""
        for key, by_id in zip(id_keys, (True, False), strict=True):
            if not key:
                continue
            slot = self._seen.get(key)
            if slot is None or (blob := self._blob(slot)) is None:
                continue
            for start, _end, _ts, _oid, _flags, urlh in pk.iter_heads(blob):
                if not by_id and urlh != key:
                    continue
                m = pk.member_at(blob, start)
                if not by_id or m.article_id == doc.article_id:
                    return slot, blob, m, by_id
        return None

    def _republished(
        self, doc: StoryDoc, fp: Fingerprint, slot: int, blob: bytes, old: pk.Member, by_id: bool
    ) -> StoryDecision:
        fields = []
        if old.title_hash != fp.title_hash:
            fields.append("title")
        if by_id and old.text_hash != fp.text_hash:
            fields.append("text")
        old_figs = {self._fig_kinds[k]: v for k, v in old.figures}
        figures = {
            k: {"old": old_figs.get(k), "new": v}
            for k, v in doc.figures.items()
            if old_figs.get(k) != v
        }
        if by_id:
            figures.update(
                {k: {"old": v, "new": None} for k, v in old_figs.items() if k not in doc.figures}
            )
        if not fields and not (by_id and figures):
            self.stats.duplicates += 1
            hot = self._hot.get(slot, blob)
            return decide(blob, self._outlets, "duplicate", old.article_id, old.syndicated, hot=hot)
        self.stats.updates += 1
        first, lo, hi, n = pk.head(blob)
        url = old.url or (doc.url if by_id else "")
        new = IndexEntry(
            old.article_id,
            url,
            self._outlets[old.outlet],
            old.ts,
            pk.story_id(blob),
            first,
            fp,
            old.syndicated,
            dict(doc.figures),
        )
        self._last = new
        rec = self._record(new, old.url_hash, old.url)
        off = pk.members_offset(blob)
        sm = pk.merged(pk.summary(blob), fp.tokens, fp.names, fp.places, fp.numbers)
        members = blob[off : old.start] + rec + blob[old.end :]
        blob = self._set(slot, pk.build(new.story_id, first, lo, hi, n, sm, members))
        changes: dict[str, Any] = {"fields": fields}
        if figures:
            changes["figures"] = figures
        hot = self._hot.get(slot, blob)
        return decide(blob, self._outlets, "update", None, old.syndicated, changes, hot=hot)

    def _best_story(
        self, fp: Fingerprint, doc: StoryDoc, keys: list[int]
    ) -> tuple[int | None, bool]:
        outlet = self._outlet_ids.get(doc.outlet, -1)
        ranked = lookup.candidates(self._buckets, keys)[: self.max_candidates]
        return lookup.best_story(ranked, self._blob, fp, doc.published_ts, outlet, self._copies)

    def _copies(self, slot: int, blob: bytes) -> NearCopies | None:
        """A big story's members indexed for the near-copy test (kept in ``_hot``)."""
        if pk.head(blob)[3] < COPIES_FROM:
            return None
        return self._hot.copies(slot, blob)

    # ---- state ----------------------------------------------------------------------

    def _set(self, slot: int, blob: bytes) -> bytes:
        self._stories[slot - self._base] = blob
        return blob

    def _new_story(self, first_article_id: str, first_ts: float) -> int:
        sid = story_id_for(first_article_id)
        n = 2
        while self._slot_of(sid) is not None:  # a clash or a reused first id: keep ids unique
            sid = f"{story_id_for(first_article_id)}-{n}"
            n += 1
        return self._story_for(sid, first_ts)

    def _slot_of(self, sid: str) -> int | None:
        slot = self._sids.get(h64(sid))
        blob = self._blob(slot) if slot is not None else None
        return slot if blob is not None and pk.story_id(blob) == sid else None

    def _story_for(self, sid: str, first_ts: float) -> int:
        slot = self._slot_of(sid)
        if slot is not None:
            return slot
        self._stories.append(pk.build(sid, first_ts, first_ts, first_ts, 0, _EMPTY, b""))
        slot = self._base + len(self._stories) - 1
        self._sids.put(h64(sid), slot)
        self._live += 1
        return slot

    def _record(self, e: IndexEntry, url_hash: int, url: str) -> bytes:
        oid = self._outlet_ids.get(e.outlet)
        if oid is None:
            oid = self._outlet_ids[e.outlet] = len(self._outlets)
            self._outlets.append(e.outlet)
        figs = []
        for k, v in e.figures.items():
            if k not in self._fig_ids:
                self._fig_ids[k] = len(self._fig_kinds)
                self._fig_kinds.append(k)
            figs.append((self._fig_ids[k], v))
        fp = e.fingerprint
        facts = pk.facts_of(fp.names, fp.places, fp.numbers)
        th, xh = fp.title_hash, fp.text_hash
        return pk.record(
            e.published_ts, oid, e.syndicated, th, xh, url_hash, fp.sketch, facts, figs,
            e.article_id, url,
        )  # fmt: skip

    def _remember(
        self,
        slot: int,
        e: IndexEntry,
        keys: list[int] | None = None,
        id_keys: tuple[int, int] | None = None,
    ) -> tuple[bytes, Hot]:
        """The story with ``e`` added, and its cached state (for ``decide``)."""
        blob = self._blob(slot)
        assert blob is not None
        hot = self._hot.get(slot, blob)
        id_key, url_hash = id_keys or _id_keys(e.article_id, e.url)
        # only the member shown in `sources` keeps its URL; the others keep its hash
        old_off = pk.members_offset(blob)
        reps = hot.representatives()
        cur = reps.get(self._outlet_ids.get(e.outlet, -1))
        shown = cur is None or (e.syndicated, e.published_ts) < (cur[2], cur[1])
        rec = self._record(e, url_hash, e.url if shown else "")
        fp = e.fingerprint
        parts = (fp.tokens, fp.names, fp.places, fp.numbers)
        blob = self._set(slot, pk.with_member(blob, rec, e.published_ts, parts))
        shift = pk.members_offset(blob) - old_off  # a grown summary moves the members
        if shift:
            reps = hot.reps = {oid: (r[0] + shift, r[1], r[2], r[3]) for oid, r in reps.items()}
        oid = self._outlet_ids[e.outlet]
        add_representative(reps, len(blob) - len(rec), e.published_ts, oid, e.syndicated)
        if cur is None:  # a new outlet: listed last when its first time is the latest
            order = hot.order
            late = order is not None and (not order or reps[order[-1]][3] <= e.published_ts)
            hot.changed(oid, shown=False, order=not late)
            if late:
                order.append(oid)  # type: ignore[union-attr]
        elif shown or reps[oid][3] != cur[3]:  # another member shown, or an earlier first
            hot.changed(oid, shown=shown, order=True)
        if hot.copies is not None:
            sketch = tuple(v >> 16 for v in fp.sketch)  # as the record keeps them
            hot.copies.add(oid, sketch, pk.facts_of(fp.names, fp.places, fp.numbers))
        hot.blob = blob
        self._members += 1
        self._seen.put(id_key, slot)
        if url_hash:
            self._seen.put(url_hash, slot)
        self._buckets.add_all(band_ints(fp) if keys is None else keys, slot)
        return blob, hot

    def add_entry(self, e: IndexEntry) -> None:
        """Restore one remembered article (e.g. replayed from a table changelog)."""
        slot = self._story_for(e.story_id, e.story_first_ts)
        blob = self._blob(slot)
        assert blob is not None
        first, lo, hi, n = pk.head(blob)
        if e.story_first_ts < first:
            blob = self._set(
                slot,
                pk.build(
                    e.story_id, e.story_first_ts, lo, hi, n, pk.summary(blob),
                    blob[pk.members_offset(blob) :],
                ),
            )  # fmt: skip
        for m in pk.members(blob):
            if m.article_id == e.article_id:
                off = pk.members_offset(blob)
                rec = self._record(e, m.url_hash, m.url)
                first, lo, hi, n = pk.head(blob)
                members = blob[off : m.start] + rec + blob[m.end :]
                self._set(slot, pk.build(e.story_id, first, lo, hi, n, pk.summary(blob), members))
                return
        self._remember(slot, e)

    def _entries_of(self, blob: bytes) -> Iterator[IndexEntry]:
        # per-article keywords are not kept: an entry read back carries its story's summary,
        # which rebuilds the same summary when the entries are restored
        sm, sid, first = pk.summary(blob), pk.story_id(blob), pk.head(blob)[0]
        for m in pk.members(blob):
            sketch = tuple(v << 16 for v in m.sketch)  # packs back to the same record
            fp = Fingerprint(
                sm.tokens, sm.names, sm.places, sm.numbers, sketch, m.title_hash, m.text_hash
            )
            figs = {self._fig_kinds[k]: v for k, v in m.figures}
            outlet = self._outlets[m.outlet]
            yield IndexEntry(m.article_id, m.url, outlet, m.ts, sid, first, fp, m.syndicated, figs)

    def entries(self) -> Iterator[IndexEntry]:
        for blob in self._stories:
            if blob is not None:
                yield from self._entries_of(blob)

    def entry_for(self, article_id: str) -> IndexEntry | None:
        """The remembered entry of one article (what the worker writes to its table).

        Right after ``assign`` this is the full entry of that article; later ones carry
        their story's summary in place of their own keywords (see ``entries``).
        """
        if self._last is not None and self._last.article_id == article_id:
            return self._last
        slot = self._seen.get(h64("i:" + article_id))
        blob = self._blob(slot) if slot is not None else None
        if blob is None:
            return None
        return next((e for e in self._entries_of(blob) if e.article_id == article_id), None)

    def expire(self, now_ts: float) -> int:
        """Forget articles published before ``now_ts - window``; return how many."""
        return len(self.expire_ids(now_ts))

    def expire_ids(self, now_ts: float) -> list[str]:
        """Forget articles published before ``now_ts - window``; return their ids.

        Walks all stories, so it runs at most once per 1/48 of the window of stream
        time: an article may be remembered that much longer than the window.
        """
        cutoff = now_ts - self.window_s
        if cutoff < self._walked_to + self.window_s * EXPIRE_STEP:
            return []
        self._walked_to = cutoff
        forgotten: list[str] = []
        for i, blob in enumerate(self._stories):
            if blob is None or pk.head(blob)[1] >= cutoff:
                continue
            self._hot.drop(self._base + i)
            keep = []
            for m in pk.members(blob):
                if m.ts >= cutoff:
                    keep.append(m)
                    continue
                self._seen.pop(h64("i:" + m.article_id))
                if m.url_hash:
                    self._seen.pop(m.url_hash)
                forgotten.append(m.article_id)
            if keep:
                first, _lo, hi, _n = pk.head(blob)
                lo = min(m.ts for m in keep)
                members = b"".join(blob[m.start : m.end] for m in keep)
                sm, sid = pk.summary(blob), pk.story_id(blob)
                self._stories[i] = pk.build(sid, first, lo, hi, len(keep), sm, members)
            else:
                self._stories[i] = None
                self._sids.pop(h64(pk.story_id(blob)))
                self._live -= 1
                self._dead_since_sweep += 1
        lead = next((i for i, b in enumerate(self._stories) if b is not None), len(self._stories))
        del self._stories[:lead]
        self._base += lead
        if self._dead_since_sweep > max(1024, self._live):
            self._buckets.sweep(lambda slot: self._blob(slot) is not None)
            self._dead_since_sweep = 0
        self._members -= len(forgotten)
        self.stats.expired += len(forgotten)
        if forgotten:
            self._last = None
        return forgotten
