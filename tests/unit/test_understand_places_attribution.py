from __future__ import annotations

import pytest

from streams.understand import Analyzer

A = Analyzer.default()


def places(title: str, summary: str = "") -> dict[str, str]:
    return {p.name: p.role for p in A.analyze(title, summary).places}


def test_event_place_next_to_a_strike_cue() -> None:
    got = places("Missile strike kills four in Kharkiv", "Officials in Kyiv condemned the attack.")
    assert got["Kharkiv"] == "event"
    assert got["Kyiv"] == "mentioned"


def test_dateline_is_the_event_place() -> None:
    u = A.analyze("Talks resume", "KYIV, Ukraine — Delegations met again on Monday.")
    roles = {p.name: (p.role, p.kind) for p in u.places}
    assert roles["Kyiv"] == ("event", "city")
    assert roles["Ukraine"] == ("event", "country")


@pytest.mark.parametrize(
    "text",
    [
        "Of all the plans, this one was the best",
        "Mobile phone sales fell in March",
        "Reading the report, she found a nice surprise",
        "The van was parked outside; Nice weather followed",
        "Paris Hilton opens a new boutique",
    ],
)
def test_common_words_are_not_places(text: str) -> None:
    got = places(text)
    assert not {"Of", "Mobile", "Reading", "Nice", "March", "Van", "Paris"} & got.keys(), got


def test_resolution_country_region_city() -> None:
    u = A.analyze(
        "Shelling in the Donetsk region", "Fighting continues across Gaza Strip and in Syria."
    )
    kinds = {p.name: (p.kind, p.country_code) for p in u.places}
    assert kinds["Donetsk region"] == ("region", "UA")
    assert kinds["Gaza Strip"] == ("region", "PS")
    assert kinds["Syria"] == ("country", "SY")


def test_aliases_resolve() -> None:
    got = {p.name for p in A.analyze("Drone attack on Kiev and Odessa").places}
    assert {"Kyiv", "Odesa"} <= got


@pytest.mark.parametrize(
    ("text", "name", "kind"),
    [
        ("Four were killed, according to BBC and Al Jazeera.", "BBC", "outlet"),
        ("Four were killed, according to BBC and Al Jazeera.", "Al Jazeera", "outlet"),
        ("Two died, regional officials said.", "regional officials", "official"),
        ("The governor said on Telegram that two died.", "governor", "official"),
        ("Prices rose, Reuters reported.", "Reuters", "agency"),
        ("A strike hit the port.\nCredited from: BBC, Meduza", "Meduza", "outlet"),
        ("A strike hit the port.\nCredited from: Local Radio", "Local Radio", "other"),
        (
            "President Volodymyr Zelensky said talks had stalled.",
            "President Volodymyr Zelensky",
            "official",
        ),
    ],
)
def test_attribution(text: str, name: str, kind: str) -> None:
    got = {a.name: a.kind for a in A.analyze("x", text).attribution}
    assert got.get(name) == kind, got


def test_roles_without_speech_are_not_sources() -> None:
    assert A.analyze("The governor visited a school").attribution == []


def test_outlet_names_are_case_sensitive() -> None:
    assert A.analyze("Under the sun, the guardian of the gate rests").attribution == []
