"""Hard cases: the word is there, the category is not (and the other way round)."""

from __future__ import annotations

import pytest

from streams.understand import Analyzer

A = Analyzer.default()


def names(title: str, summary: str = "") -> set[str]:
    return {c.name for c in A.analyze(title, summary).categories}


@pytest.mark.parametrize(
    "title",
    [
        "Workers at the tractor plant go on strike over unpaid wages",
        "Bus drivers stage a 24-hour strike across the capital",
        "Tech giants strike a deal to share cloud capacity",
        "Lightning strike sets barn ablaze in rural Ohio",
        "Farmer struck by lightning while tending cattle",
        "Kremlin denied the attack, calling the reports fabricated",
        "Netflix begins production of a new crime drama in Madrid",
        "Ecuador sends trade envoy for bananas to European buyers",
        "Club and striker in talks over a new contract",
        "Manager says transfer talks with Juventus are progressing",
        "Stunning late strike earns United a draw",
        "Airbus raises passenger jet production target",
        "North Korea test-fires ballistic missile into the sea",
        "SpaceX rocket launches weather satellite into orbit",
        "Gas explosion destroys apartment block, killing two",
        "Earthquake struck the coast overnight, killing dozens",
        "Ransomware attack cripples hospital computer systems",
        "Brand ambassador for the sportswear label visits Tokyo",
        "Coalition talks on forming a new government collapse",
        "Shell hit by lower gas prices in the third quarter",
        "The explosion residents heard was a planned demolition of the old mill",
        "Heart attack on the town bus: passenger saved by driver",
    ],
)
def test_hard_negatives_are_other(title: str) -> None:
    assert names(title) == set()


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Ukraine says it shot down 20 drones overnight", "strike"),
        ("Drones struck an ammunition depot near the border", "strike"),
        ("Residential areas were shelled through the night", "strike"),
        ("An oil refinery was struck by missiles before dawn", "strike"),
        ("The city came under drone attack for a third night", "strike"),
        ("Jihadists attacked an army base, killing 15 soldiers", "strike"),
        ("A shell killed a pensioner outside her home in Kherson", "strike"),
        ("Strike on a television tower leaves the city without broadcasts", "strike"),
        ("Explosions were heard in the capital before dawn", "strike"),
        ("Rebels say they shot down a military helicopter", "strike"),
        ("Artillery unit hitting enemy positions near the river", "strike"),
        ("Aftermath of the attack: rescuers search a collapsed block", "strike"),
        ("Moscow and Kyiv agreed to resume talks next week", "diplomacy"),
        ("UN envoy meets junta leaders to push peace plan", "diplomacy"),
        ("Poland expels three Russian diplomats", "diplomacy"),
        ("EU adopts new package of sanctions", "diplomacy"),
        ("Ukraine will triple shell output this year", "production_policy"),
        ("Putin orders defence plants to ramp up drone production", "production_policy"),
        ("Army signs contract for 5,000 air defence missiles", "production_policy"),
    ],
)
def test_positives(title: str, expected: str) -> None:
    assert expected in names(title)


def test_a_denial_does_not_hide_a_reported_strike() -> None:
    got = names(
        "Missiles hit a hospital in the city centre, killing four",
        "Officials blamed Russian forces; Moscow denied the attack.",
    )
    assert "strike" in got


def test_multi_label_scores_and_evidence_offsets() -> None:
    title = "Drone strike hits arms plant as envoys resume ceasefire talks"
    u = A.analyze(title)
    assert {c.name for c in u.categories} >= {"strike", "diplomacy"}
    for c in u.categories:
        assert 0.0 < c.score <= 1.0
        for e in c.evidence:
            assert e.field == "title"
            assert title[e.start : e.end] == e.text


def test_empty_article_is_other() -> None:
    u = A.analyze("")
    assert u.categories == [] and u.figures == [] and u.places == [] and u.severity == 1
