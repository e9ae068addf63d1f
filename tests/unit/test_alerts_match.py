"""Rule conditions, one by one: AND between conditions, OR inside a list."""

from __future__ import annotations

import pytest

from streams.alerts.match import StoryView, failed_conditions, has_keyword, matching_rules
from streams.alerts.rules import parse_rules
from streams.events import Category, Place
from tests.fakes import make_source


def story(**over: object) -> StoryView:
    base: dict[str, object] = {
        "categories": [Category("strike", 0.8), Category("diplomacy", 0.3)],
        "severity": 3,
        "figures": {"killed": 2.0, "launched": 40.0},
        "places": [Place("Kharkiv", "UA", None, None, "city", "event")],
        "text": "Overnight drone barrage hits Kharkiv power station",
        "source_count": 2,
        "sources": [make_source("wire.example"), make_source("daily.example", 2)],
    }
    base.update(over)
    return StoryView(**base)  # type: ignore[arg-type]


def rule(**conditions: object) -> object:
    return parse_rules({"rules": [{"name": "r", **conditions}]}).rules[0]


@pytest.mark.parametrize(
    ("conditions", "failed"),
    [
        ({}, []),
        ({"categories": ["strike"]}, []),
        ({"categories": ["diplomacy"], "min_score": 0.5}, ["categories"]),
        ({"categories": ["diplomacy", "strike"], "min_score": 0.5}, []),
        ({"min_score": 0.9}, ["categories"]),
        ({"min_severity": 3}, []),
        ({"min_severity": 4}, ["min_severity"]),
        ({"figures": {"killed": 1}}, []),
        ({"figures": {"killed": 3}}, ["figures.killed"]),
        ({"figures": {"injured": 1}}, ["figures.injured"]),
        ({"figures": {"killed": 1, "launched": 50}}, ["figures.launched"]),
        ({"countries": ["ua"]}, []),
        ({"countries": ["RU"]}, ["countries"]),
        ({"places": ["kharkiv", "Odesa"]}, []),
        ({"places": ["Odesa"]}, ["places"]),
        ({"keywords": ["drone"]}, []),
        ({"keywords": ["power station"]}, []),
        ({"keywords": ["drones"]}, ["keywords"]),  # whole words only
        ({"keywords": ["harkiv"]}, ["keywords"]),
        ({"exclude_keywords": ["barrage"]}, ["exclude_keywords"]),
        ({"exclude_keywords": ["exercise"]}, []),
        ({"min_sources": 2}, []),
        ({"min_sources": 3}, ["min_sources"]),
        ({"outlets": ["Daily.Example"]}, []),
        ({"outlets": ["other.example"]}, ["outlets"]),
        (
            {"min_severity": 5, "min_sources": 5, "countries": ["PL"]},
            ["min_severity", "countries", "min_sources"],
        ),
    ],
)
def test_conditions(conditions: dict, failed: list[str]) -> None:
    assert failed_conditions(rule(**conditions), story()) == failed  # type: ignore[arg-type]


def test_story_without_places_or_categories_fails_those_conditions() -> None:
    bare = story(categories=[], places=[], figures={})
    r = rule(categories=["strike"], countries=["UA"], figures={"killed": 0})
    assert failed_conditions(r, bare) == ["categories", "figures.killed", "countries"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "keywords", "expected"),
    [
        ("Ban on grain exports", ("ban",), True),
        ("Talks in Bangkok", ("ban",), False),
        ("Missile hits port; 3 dead", ("missile", "port"), True),
        ("C++ summit (draft)", ("c++",), True),
        ("", ("x",), False),
        ("anything", (), False),
    ],
)
def test_has_keyword(text: str, keywords: tuple[str, ...], expected: bool) -> None:
    assert has_keyword(text, keywords) is expected


def test_matching_rules_keeps_file_order() -> None:
    config = parse_rules(
        {
            "rules": [
                {"name": "sev5", "min_severity": 5},
                {"name": "any"},
                {"name": "ua", "countries": ["UA"]},
            ]
        }
    )
    assert [r.name for r in matching_rules(config, story())] == ["any", "ua"]
