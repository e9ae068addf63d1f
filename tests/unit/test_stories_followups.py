"""Follow-ups join their incident; same-city, same-day events at different sites stay apart."""

from __future__ import annotations

import pytest

from streams.events import Article
from streams.stories.fingerprint import (
    StoryDoc,
    features_for,
    fingerprint,
    fingerprint_from_dict,
    fingerprint_to_dict,
)
from streams.stories.index import StoryIndex
from streams.stories.places import big_city_key
from streams.stories.text import capitalised_runs


def doc(aid: str, outlet: str, title: str, summary: str, published: str) -> StoryDoc:
    return features_for(
        Article(
            article_id=aid,
            feed_url=f"https://{outlet}.example/rss",
            outlet=outlet,
            url=f"https://{outlet}.example/{aid}",
            title=title,
            summary=summary,
            published=published,
            content_hash=f"h-{aid}",
        )
    )


def same_story(first: tuple[str, str, str], second: tuple[str, str, str]) -> bool:
    idx = StoryIndex()
    a = idx.assign(doc("a1", "northwire", *first))
    b = idx.assign(doc("b1", "ledger", *second))
    return a.story_id == b.story_id


QUAKE = (
    "Earthquake in Van province kills 12",
    "A magnitude 6.1 earthquake struck Van province in eastern Turkey overnight, killing 12 "
    "people, the disaster agency AFAD said.",
    "2024-05-01T04:00:00Z",
)
DEPOT = (
    "Drone hits fuel depot in Odesa, two killed",
    "A Russian drone struck a fuel depot in Odesa overnight, killing two workers, governor "
    "Oleh Kiper said.",
    "2024-05-01T04:00:00Z",
)
SHOOTING = (
    "Gunman kills three at Graz shopping centre",
    "A man opened fire in a shopping centre in Graz on Saturday afternoon, killing three "
    "people before escaping, police said.",
    "2024-05-01T15:00:00Z",
)


@pytest.mark.parametrize(
    ("first", "second", "joined"),
    [
        pytest.param(
            QUAKE,
            (
                "Van quake death toll climbs to 41",
                "Rescuers in Van province pulled more bodies from collapsed buildings after the "
                "earthquake; 41 people are now confirmed dead, AFAD said.",
                "2024-05-02T10:00:00Z",
            ),
            True,
            id="quake-toll-rises-30h-later",
        ),
        pytest.param(
            DEPOT,
            (
                "Odesa depot strike: toll rises to four",
                "Two more workers died in hospital after the drone strike on the fuel depot in "
                "Odesa, raising the number of dead to four, Kiper said.",
                "2024-05-01T20:00:00Z",
            ),
            True,
            id="strike-toll-rises-same-site",
        ),
        pytest.param(
            SHOOTING,
            (
                "Police name suspect in Graz shopping centre shooting",
                "Austrian police said the man who shot dead three people at the Graz shopping "
                "centre was arrested at a railway station; he was named as Lukas M., 31.",
                "2024-05-02T09:00:00Z",
            ),
            True,
            id="suspect-named-next-day",
        ),
        pytest.param(
            DEPOT,
            (
                "Missile hits Odesa hospital, three injured",
                "A Russian missile struck a hospital in Odesa on Wednesday morning, injuring "
                "three doctors, governor Oleh Kiper said.",
                "2024-05-01T07:00:00Z",
            ),
            False,
            id="same-city-same-day-other-site",
        ),
        pytest.param(
            DEPOT,
            (
                "Odesa hospital strike: toll rises to five",
                "Five people have now died after a missile hit a hospital in Odesa, Kiper said.",
                "2024-05-01T18:00:00Z",
            ),
            False,
            id="follow-up-wording-but-other-site",
        ),
        pytest.param(
            DEPOT,
            (
                "Drone hits fuel depot in Odesa, one killed",
                "A Russian drone struck a fuel depot in Odesa overnight, killing one guard, "
                "governor Oleh Kiper said.",
                "2024-05-03T10:00:00Z",
            ),
            False,
            id="repeat-two-days-later-without-follow-up-wording",
        ),
    ],
)
def test_follow_ups_join_and_other_incidents_stay_apart(
    first: tuple[str, str, str], second: tuple[str, str, str], joined: bool
) -> None:
    assert same_story(first, second) is joined


@pytest.mark.parametrize(
    ("title", "cued"),
    [
        ("Cusco bus crash death toll climbs to 17", True),
        ("Suspect arrested after Graz shooting", True),
        ("Union demands 8 percent pay rise at Bremen plant", False),
        ("Drone hits fuel depot in Odesa", False),
    ],
)
def test_follow_up_wording_is_seen_in_the_headline(title: str, cued: bool) -> None:
    fp = fingerprint(doc("c1", "northwire", title, "No further details.", "2024-05-01T04:00:00Z"))
    assert fp.cued is cued


def test_fingerprint_dict_round_trip_keeps_cue_and_reads_older_dicts() -> None:
    fp = fingerprint(doc("r1", "northwire", "Toll rises to 9 in Sumy", "Nine dead.", QUAKE[2]))
    assert fp.cued and fingerprint_from_dict(fingerprint_to_dict(fp)) == fp
    older = fingerprint_to_dict(fp)
    del older["cued"]
    assert fingerprint_from_dict(older).cued is False


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("killed in the centre of Chernihiv, Lomako said", ["Chernihiv", "Lomako"]),
        ("the cyclone struck Nampula, INGD said", ["Nampula", "INGD"]),
        ("governor Oleh Kiper said", ["Oleh Kiper"]),
    ],
)
def test_capitalised_runs_end_at_a_comma(text: str, runs: list[str]) -> None:
    assert capitalised_runs(text) == runs


@pytest.mark.parametrize(
    ("word", "is_city"),
    [("Kyiv's", True), ("Chernihiv", True), ("Central", False), ("Thai", False)],
)
def test_headline_opener_is_a_place_only_for_a_big_city_by_its_own_name(
    word: str, is_city: bool
) -> None:
    assert (big_city_key(word) is not None) is is_city
