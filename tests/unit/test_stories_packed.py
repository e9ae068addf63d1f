"""Story index internals: packed records, key buckets, hash slots, bounded work, expiry."""

from __future__ import annotations

import pytest

from streams.events import Article
from streams.stories import packed as pk
from streams.stories.candidates import KeyBuckets
from streams.stories.entry import IndexEntry
from streams.stories.fingerprint import features_for, fingerprint
from streams.stories.hashslots import HashSlots
from streams.stories.index import StoryIndex


@pytest.mark.parametrize(
    "aid",
    ["u:" + "ab" * 16, "g:0f", "a1", "u:ABCD", "x:abc", "ünïcode:1", "h:" + "0" * 32, ":ff"],
)
def test_article_ids_survive_packing(aid: str) -> None:
    assert pk.decode_id(pk.encode_id(aid)) == aid


def test_hex_ids_are_stored_in_half_the_bytes() -> None:
    assert len(pk.encode_id("u:" + "ab" * 16)) == 19


@pytest.mark.parametrize(
    "url", ["", "https://www.a.example/x", "https://b.example/", "http://c", "ftp://d/é"]
)
def test_urls_survive_packing(url: str) -> None:
    assert pk.decode_url(pk.encode_url(url)) == url
    assert len(pk.encode_url(url)) <= len(url.encode()) + 1


def test_member_record_round_trip() -> None:
    rec = pk.record(
        1.5e9,
        3,
        True,
        11,
        22,
        99,
        (1 << 16, 5 << 16),
        (7, 8),
        [(0, 5.0)],
        "u:" + "cd" * 16,
        "https://e/x",
    )
    blob = pk.build("s-1", 1.0, 1.0, 2.0, 1, pk.Summary((1, 2), (3,), (), (40,)), rec)
    [m] = pk.members(blob)
    assert (m.ts, m.outlet, m.syndicated, m.title_hash, m.text_hash, m.url_hash) == (
        1.5e9, 3, True, 11, 22, 99,
    )  # fmt: skip
    assert m.sketch == (1, 5) and m.facts == (7, 8) and m.figures == ((0, 5.0),)
    assert (m.article_id, m.url) == ("u:" + "cd" * 16, "https://e/x")
    assert pk.summary(blob) == pk.Summary((1, 2), (3,), (), (40,))
    assert pk.story_id(blob) == "s-1" and pk.head(blob) == (1.0, 1.0, 2.0, 1)


def test_summary_grows_first_come_and_capped() -> None:
    sm = pk.merged(pk.Summary((1, 2), (), (), ()), tuple(range(100)), (9,), (), ())
    assert sm.tokens[:3] == (1, 2, 0) and len(sm.tokens) == pk.CAP_TOKENS and sm.names == (9,)


def test_popular_key_returns_only_the_newest_stories() -> None:
    b = KeyBuckets(keep=4)
    for slot in range(1, 101):
        b.add(77, slot)
    assert list(b.recent(77)) == [100, 99, 98, 97]
    b.add(5, 1)
    assert list(b.recent(5)) == [1]  # a key of one story
    b.add(5, 1)
    b.add(5, 2)
    assert list(b.recent(5)) == [2, 1]
    b.sweep(lambda slot: slot % 2 == 0)
    assert list(b.recent(77)) == [100, 98] and list(b.recent(5)) == [2]


def test_hashslots_setdefault() -> None:
    t = HashSlots()
    assert t.setdefault(5, 1) is None and t.setdefault(5, 2) == 1 and t.get(5) == 1


def _article(i: int, hour: int, title: str, summary: str) -> Article:
    return Article(
        article_id=f"a{i}",
        feed_url="https://o.example/rss",
        outlet=f"outlet{i % 7}",
        url=f"https://o{i % 7}.example/{i}",
        title=title,
        summary=summary,
        published=f"2024-05-0{1 + hour // 24}T{hour % 24:02d}:00:00Z",
        content_hash=str(i),
    )


def test_fingerprinted_upstream_gives_the_same_decisions() -> None:
    arts = [
        _article(1, 6, "Drone strike kills five in Kharkiv", "A drone hit Kharkiv, killing five."),
        _article(2, 7, "Five dead in Kharkiv drone attack", "Five people died in Kharkiv."),
        _article(3, 8, "Talks open in Vienna", "Chloe Martin met Marek Zielinski in Vienna."),
    ]
    a, b = StoryIndex(), StoryIndex()
    plain = [a.assign(features_for(x)).story_id for x in arts]
    pre = [b.assign(features_for(x, fingerprinted=True)).story_id for x in arts]
    assert plain == pre
    doc = features_for(arts[0], fingerprinted=True)
    assert doc.fp == fingerprint(doc)


def test_expiry_forgets_ids_and_urls_and_sweeps_buckets() -> None:
    idx = StoryIndex(window_hours=1)
    for i in range(30):
        idx.assign(features_for(_article(i, 0, f"Event number {i} in Porto", f"Story {i}.")))
    assert len(idx) == 30
    gone = idx.expire_ids(features_for(_article(99, 3, "x", "y")).published_ts)
    assert sorted(gone) == sorted(f"a{i}" for i in range(30)) and len(idx) == 0
    assert idx.entry_for("a3") is None
    again = idx.assign(features_for(_article(3, 4, "Event number 3 in Porto", "Story 3.")))
    assert again.kind == "new_story"


def test_restore_from_full_entries_keeps_dedup_and_joining() -> None:
    arts = [
        _article(1, 6, "Drone strike kills five in Kharkiv", "A drone hit Kharkiv, killing five."),
        _article(2, 7, "Five dead in Kharkiv drone attack", "Five people died in Kharkiv."),
    ]
    idx = StoryIndex()
    saved = []
    for a in arts:
        idx.assign(features_for(a))
        entry = idx.entry_for(a.article_id)
        assert entry is not None
        saved.append(entry.to_dict())
    saved[0]["fp"][3] = [10**12]  # an old changelog's number that no longer fits 32 bits
    restored = StoryIndex()
    for d in saved:
        restored.add_entry(IndexEntry.from_dict(d))
    again = features_for(arts[1])
    again.article_id = "other-feed-id"  # same URL from another feed
    assert restored.assign(again).kind == "duplicate"
    third = _article(3, 8, "Kharkiv drone strike toll stays at five", "Five killed in Kharkiv.")
    assert restored.assign(features_for(third)).story_id == idx.assign(features_for(third)).story_id
