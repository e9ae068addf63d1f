from __future__ import annotations

import pytest

from streams.understand import Analyzer
from streams.understand.severity import severity
from streams.understand.taxonomy import parse_taxonomy

A = Analyzer.default()


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Bakery opens a second shop", 1),
        ("Foreign ministers hold talks on ceasefire", 2),
        ("Drones struck an ammunition depot overnight", 3),
        ("Missile strike kills one in Odesa", 4),
        ("Airstrike kills 12 in Gaza", 5),
        ("Drone strike injures 60 in Belgorod", 5),
        ("Russia launched 120 drones overnight at Ukraine", 4),
        ("Car crash kills 12 on motorway", 1),
    ],
)
def test_default_severity(title: str, level: int) -> None:
    assert A.analyze(title).severity == level


def test_rules_are_configurable() -> None:
    tax = parse_taxonomy(
        {
            "categories": {"riot": {"patterns": [r"\briots?\b"]}},
            "severity": {
                "default": 2,
                "categories": {"riot": 3},
                "rules": [{"category": "riot", "figure": "injured", "min": 5, "severity": 5}],
            },
        }
    )
    a = Analyzer(tax)
    assert a.analyze("Calm day in the city").severity == 2
    assert a.analyze("Riot in the city centre").severity == 3
    assert a.analyze("Riot in the city centre leaves 6 injured").severity == 5
    assert severity(tax, [], []) == 2
