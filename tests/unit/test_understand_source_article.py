"""The article this project began from, retold in our own words: a drone strike on an
arms plant in Izhevsk, a call to scale up drone production, and stalled ceasefire talks."""

from __future__ import annotations

import pytest

from streams.understand import Analyzer, Understanding

TITLE = "Drone strike on Izhevsk arms plant kills three as Zelensky presses for more interceptors"
SUMMARY = (
    "A Ukrainian drone attack hit a weapons factory in Izhevsk, Russia, about 1,300 km from the "
    "Ukrainian border, killing 3 people and injuring 35, 10 of them seriously, according to the "
    "BBC and Al Jazeera. Aviation authorities imposed temporary flight restrictions over the area."
)
CONTENT = (
    "President Volodymyr Zelensky on Tuesday urged manufacturers to scale up production of "
    "interceptor drones and long-range drones after Russia launched a record 5,438 drones "
    "against Ukraine in June. Separately, ceasefire talks led by a US envoy have stalled, "
    "officials in Kyiv said, while the Kremlin denied that it was holding up the negotiations.\n"
    "Credited from: BBC, Al Jazeera"
)


@pytest.fixture(scope="module")
def understood() -> Understanding:
    return Analyzer.default().analyze(TITLE, SUMMARY, CONTENT)


def test_all_three_categories(understood: Understanding) -> None:
    assert {c.name for c in understood.categories} == {"strike", "diplomacy", "production_policy"}
    for c in understood.categories:
        assert 0.5 <= c.score <= 1.0
        assert c.evidence


def test_exactly_the_source_figures(understood: Understanding) -> None:
    got = sorted((f.kind, f.value, f.unit) for f in understood.figures)
    assert got == [
        ("distance", 1300.0, "km"),
        ("injured", 35.0, "people"),
        ("killed", 3.0, "people"),
        ("launched", 5438.0, "drones"),
        ("serious", 10.0, "people"),
    ]
    by_kind = {f.kind: f for f in understood.figures}
    assert by_kind["distance"].approximate
    assert by_kind["launched"].period == "June"
    assert by_kind["launched"].attributed_to == "President Volodymyr Zelensky"
    assert by_kind["injured"].attributed_to == "BBC, Al Jazeera"


def test_figure_offsets_point_at_the_text(understood: Understanding) -> None:
    fields = {"title": TITLE, "summary": SUMMARY, "content": CONTENT}
    for f in understood.figures:
        assert fields[f.field][f.start : f.end] == f.text


def test_event_place_is_izhevsk(understood: Understanding) -> None:
    events = {p.name for p in understood.places if p.role == "event"}
    assert "Izhevsk" in events
    izhevsk = next(p for p in understood.places if p.name == "Izhevsk")
    assert izhevsk.country_code == "RU" and izhevsk.kind == "city"
    assert izhevsk.lat == pytest.approx(56.85, abs=0.1)
    assert next(p for p in understood.places if p.name == "Kyiv").role == "mentioned"


def test_sources_and_severity(understood: Understanding) -> None:
    names = {a.name: a.kind for a in understood.attribution}
    assert names["BBC"] == "outlet" and names["Al Jazeera"] == "outlet"
    assert names["President Volodymyr Zelensky"] == "official"
    assert understood.severity == 5
