"""Story index: duplicates, updates, clustering across outlets, expiry, restore."""

from __future__ import annotations

import pytest

from streams.errors import InputError
from streams.events import Article, Figure, Place
from streams.stories.cluster import cluster_records
from streams.stories.entry import IndexEntry
from streams.stories.fingerprint import StoryDoc, band_keys, features_for, fingerprint
from streams.stories.hashslots import HashSlots
from streams.stories.index import StoryIndex, story_id_for

T0 = "2024-05-01T06:00:00Z"


def art(
    aid: str,
    outlet: str,
    title: str,
    summary: str,
    published: str = T0,
    url: str = "",
    content_hash: str = "",
) -> Article:
    return Article(
        article_id=aid,
        feed_url=f"https://{outlet}.example/rss",
        outlet=outlet,
        url=url or f"https://{outlet}.example/{aid}",
        title=title,
        summary=summary,
        published=published,
        content_hash=content_hash or f"h-{hash((title, summary))}",
    )


def doc(
    aid: str,
    outlet: str,
    title: str,
    summary: str,
    published: str = T0,
    url: str = "",
    **kw: object,
) -> StoryDoc:
    return features_for(art(aid, outlet, title, summary, published, url), **kw)  # type: ignore[arg-type]


KHARKIV = [
    (
        "Russian drone strike kills five in Kharkiv apartment block",
        "A Russian drone hit a nine-storey apartment block in Kharkiv overnight, killing five "
        "people and wounding 12, regional governor Oleh Syniehubov said.",
    ),
    (
        "Five dead after drone hits Kharkiv residential building",
        "Five people were killed and twelve injured when a Russian drone struck a residential "
        "building in Kharkiv, governor Oleh Syniehubov said on Wednesday.",
    ),
    (
        "Kharkiv apartment block struck in overnight drone attack",
        "Russian forces attacked Kharkiv with drones early on Wednesday, damaging an apartment "
        "block; five people died and 12 were wounded, according to Oleh Syniehubov.",
    ),
]


def test_exact_duplicate_by_id_is_dropped_and_counted() -> None:
    idx = StoryIndex()
    first = idx.assign(doc("a1", "northwire", *KHARKIV[0]))
    again = idx.assign(doc("a1", "northwire", *KHARKIV[0]))
    assert again.kind == "duplicate" and again.duplicate_of == "a1"
    assert again.story_id == first.story_id and not again.is_new_story
    assert idx.stats.duplicates == 1 and len(idx) == 1


def test_same_canonical_url_from_another_feed_is_a_duplicate() -> None:
    idx = StoryIndex()
    idx.assign(doc("a1", "northwire", *KHARKIV[0], url="https://n.example/x"))
    dup = idx.assign(doc("b7", "northwire", *KHARKIV[0], url="https://n.example/x"))
    assert dup.kind == "duplicate" and dup.duplicate_of == "a1"
    assert idx.stats.duplicates == 1


def test_republished_with_changed_figure_is_an_update() -> None:
    idx = StoryIndex()
    fig = [Figure(kind="killed", value=5, text="five", field="title", start=0, end=4)]
    first = idx.assign(doc("a1", "northwire", *KHARKIV[0], figures=fig))
    fig7 = [Figure(kind="killed", value=7, text="seven", field="title", start=0, end=5)]
    title = KHARKIV[0][0].replace("five", "seven")
    upd = idx.assign(doc("a1", "northwire", title, KHARKIV[0][1], figures=fig7))
    assert upd.kind == "update" and upd.story_id == first.story_id
    assert upd.changes["fields"] == ["title"]
    assert upd.changes["figures"] == {"killed": {"old": 5.0, "new": 7.0}}
    assert idx.stats.updates == 1 and idx.stats.stories == 1


def test_three_outlets_rewriting_one_event_share_a_story() -> None:
    idx = StoryIndex()
    times = ["2024-05-01T06:00:00Z", "2024-05-01T07:10:00Z", "2024-05-01T09:45:00Z"]
    outs = [
        idx.assign(doc(f"k{i}", o, t, s, ts))
        for i, (o, (t, s), ts) in enumerate(
            zip(["northwire", "ledger", "harbor"], KHARKIV, times, strict=True)
        )
    ]
    assert [d.is_new_story for d in outs] == [True, False, False]
    assert len({d.story_id for d in outs}) == 1
    last = outs[-1]
    assert last.source_count == 3 and [s.outlet for s in last.sources] == [
        "northwire",
        "ledger",
        "harbor",
    ]
    assert last.first_seen == "2024-05-01T06:00:00Z"
    assert outs[0].story_id == story_id_for("k0")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            (
                "Workers strike at Kestrel Steel plant in Bremen",
                "About 2,500 workers at the Kestrel Steel plant in Bremen walked out on Tuesday "
                "over pay, the Metalworkers Union said.",
            ),
            (
                "Workers strike at Kestrel Steel plant in Turin",
                "About 1,200 workers at the Kestrel Steel plant in Turin walked out on Tuesday "
                "over pay, the Metalworkers Union said.",
            ),
            id="two-plant-strikes-two-cities",
        ),
        pytest.param(
            (
                "France and Poland open trade talks in Vienna",
                "Foreign ministers Chloe Martin of France and Marek Zielinski of Poland began two "
                "days of trade talks in Vienna on Monday.",
            ),
            (
                "Japan and Brazil open energy talks in Doha",
                "Foreign ministers Kenji Mori of Japan and Rafael Duarte of Brazil began two days "
                "of energy talks in Doha on Monday.",
            ),
            id="two-separate-talks",
        ),
        pytest.param(
            KHARKIV[0],
            (
                "Russian drone strike kills five in Odesa port",
                "A Russian drone hit port buildings in Odesa overnight, killing five people and "
                "wounding 12, regional governor Oleh Kiper said.",
            ),
            id="two-drone-strikes-two-cities",
        ),
    ],
)
def test_same_kind_same_day_different_events_stay_apart(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    idx = StoryIndex()
    a = idx.assign(doc("x1", "northwire", *first))
    b = idx.assign(doc("x2", "ledger", *second, published="2024-05-01T06:30:00Z"))
    assert b.is_new_story and a.story_id != b.story_id


def test_follow_up_with_rising_toll_joins_its_story() -> None:
    idx = StoryIndex()
    a = idx.assign(doc("k0", "northwire", *KHARKIV[0]))
    b = idx.assign(
        doc(
            "k9",
            "ledger",
            "Death toll from Kharkiv drone strike rises to nine",
            "The number of people killed by the drone strike on an apartment block in Kharkiv has "
            "risen to nine, governor Oleh Syniehubov said.",
            "2024-05-01T15:00:00Z",
        )
    )
    assert b.kind == "joined" and b.story_id == a.story_id


def test_wire_copy_reprinted_is_syndicated_and_not_counted() -> None:
    idx = StoryIndex()
    wire = KHARKIV[0][1] + " Rescuers were still searching the rubble on Wednesday morning."
    idx.assign(doc("w1", "agency", KHARKIV[0][0], wire))
    copy = idx.assign(
        doc("w2", "citypaper", "Drone strike in Kharkiv", wire, "2024-05-01T06:40:00Z")
    )
    assert copy.kind == "joined" and copy.syndicated
    assert copy.source_count == 1
    assert {s.outlet: s.syndicated for s in copy.sources} == {"agency": False, "citypaper": True}
    own = idx.assign(doc("o1", "ledger", *KHARKIV[1], published="2024-05-01T07:00:00Z"))
    assert not own.syndicated and own.source_count == 2


def test_expire_forgets_old_articles_and_stories() -> None:
    idx = StoryIndex(window_hours=72)
    old = idx.assign(doc("k0", "northwire", *KHARKIV[0]))
    assert idx.expire(old_ts := features_for(art("z", "z", "t", "s")).published_ts) == 0
    assert idx.expire(old_ts + 73 * 3600) == 1
    assert len(idx) == 0
    again = idx.assign(doc("k0", "northwire", *KHARKIV[0], published="2024-05-04T07:00:00Z"))
    assert again.kind == "new_story" and again.story_id == old.story_id  # same first id


def test_entries_round_trip_restores_decisions() -> None:
    idx = StoryIndex()
    fig = [Figure(kind="killed", value=5, text="five", field="title", start=0, end=4)]
    idx.assign(doc("k0", "northwire", *KHARKIV[0], figures=fig))
    idx.assign(doc("k1", "ledger", *KHARKIV[1], published="2024-05-01T07:00:00Z"))
    dicts = [e.to_dict() for e in idx.entries()]
    restored = StoryIndex()
    for d in reversed(dicts):
        restored.add_entry(IndexEntry.from_dict(d))
    assert sorted(e.to_dict()["article_id"] for e in restored.entries()) == ["k0", "k1"]
    assert {e.article_id: e.to_dict() for e in restored.entries()} == {
        d["article_id"]: d for d in dicts
    }
    dup = restored.assign(doc("k1", "ledger", *KHARKIV[1], published="2024-05-01T07:00:00Z"))
    assert dup.kind == "duplicate" and dup.source_count == 2
    joined = restored.assign(doc("k2", "harbor", *KHARKIV[2], published="2024-05-01T08:00:00Z"))
    assert joined.story_id == dup.story_id


def test_entry_from_bad_dict_is_an_input_error() -> None:
    with pytest.raises(InputError):
        IndexEntry.from_dict({"article_id": "x"})


def test_band_keys_are_stable_strings_shared_by_rewrites() -> None:
    a = band_keys(fingerprint(doc("k0", "n", *KHARKIV[0])))
    b = band_keys(fingerprint(doc("k1", "l", *KHARKIV[1])))
    assert a == band_keys(fingerprint(doc("k0", "n", *KHARKIV[0])))
    assert all(isinstance(k, str) and len(k) == 8 for k in a)
    assert set(a) & set(b)


def test_places_from_understanding_are_used() -> None:
    p = [Place(name="Bremen", country_code="DE", lat=None, lon=None, kind="city")]
    fp = fingerprint(
        doc("p1", "n", "Strike at plant", "Workers walked out at the plant.", places=p)
    )
    assert fp.places


def test_bad_published_time_is_an_input_error() -> None:
    with pytest.raises(InputError, match="ISO-8601"):
        features_for(art("a", "n", "t", "s", published="yesterday"))


def test_cluster_records_assigns_stories_and_duplicates() -> None:
    recs = [
        {
            "title": KHARKIV[0][0],
            "summary": KHARKIV[0][1],
            "source": "northwire",
            "url": "https://n.example/1",
            "published": "2024-05-01T06:00:00Z",
        },
        {
            "title": KHARKIV[1][0],
            "summary": KHARKIV[1][1],
            "source": "ledger",
            "published": "2024-05-01T07:00:00Z",
        },
        {
            "title": KHARKIV[0][0],
            "summary": KHARKIV[0][1],
            "source": "aggregator",
            "url": "https://n.example/1",
        },
        {"title": "", "source": "broken"},
        {
            "title": "Japan and Brazil open energy talks in Doha",
            "summary": "Kenji Mori of Japan and Rafael Duarte of Brazil met in Doha.",
        },
    ]
    out = list(cluster_records(recs))
    assert len(out) == 5
    assert out[0]["is_new_story"] and out[1]["story_id"] == out[0]["story_id"]
    assert out[2]["story_id"] == out[0]["story_id"] and out[2]["duplicate_of"] is not None
    assert out[3]["story_id"] is None and "title" in out[3]["error"]
    assert out[4]["is_new_story"] and out[4]["story_id"] != out[0]["story_id"]
    assert [o["story_id"] for o in cluster_records(recs)] == [o["story_id"] for o in out]


def test_hashslots_put_get_pop_under_growth() -> None:
    t = HashSlots(16)
    for k in range(1, 5000):
        t.put(k * 2654435761 % (1 << 64) or 1, k)
    for k in range(1, 5000, 2):
        assert t.pop(k * 2654435761 % (1 << 64) or 1) == k
    for k in range(1, 5000):
        got = t.get(k * 2654435761 % (1 << 64) or 1)
        assert got == (None if k % 2 else k)
    assert len(t) == 2499
