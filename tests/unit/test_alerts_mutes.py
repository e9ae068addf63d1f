"""Mutes (pure) and durations."""

from __future__ import annotations

import pytest

from streams.alerts.durations import format_duration, parse_duration
from streams.alerts.mutes import Mutes
from tests.fakes import make_alert

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1.5h", 5400),
        (30, 30),
        ("45", 45),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "2 hours", "-1h", "", None, True, [1]])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("seconds", "text"), [(7200, "2h"), (90, "1m30s"), (90061, "1d1h"), (0, "0s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("kind", "value", "muted"),
    [
        ("story", "s-abc", True),
        ("story", "s-other", False),
        ("story", "S-ABC", False),  # story ids are exact
        ("entity", "izhevsk", True),  # a place, any case
        ("entity", "RU", True),  # a country code
        ("entity", "Wire.Example", True),  # an outlet
        ("entity", "depot", True),  # a word of the headline
        ("entity", "dep", False),
        ("entity", "Kharkiv", False),
    ],
)
def test_what_a_mute_silences(kind: str, value: str, muted: bool) -> None:
    mutes = Mutes().add(kind, value, 3600, NOW)  # type: ignore[arg-type]
    assert (mutes.muted_by(make_alert(), NOW + 10) is not None) is muted


def test_mutes_expire_and_can_be_removed() -> None:
    mutes = Mutes().add("story", "s-abc", 60, NOW).add("entity", "Izhevsk", 3600, NOW)
    assert len(mutes.active(NOW)) == 2
    assert [m.value for m in mutes.active(NOW + 61)] == ["Izhevsk"]
    assert len(mutes.pruned(NOW + 61)) == 1
    assert mutes.remove("entity", "IZHEVSK").muted_by(make_alert(), NOW + 61) is None
    # muting again replaces the old mute instead of stacking
    assert len(mutes.add("story", "s-abc", 10, NOW)) == 2


def test_mutes_round_trip_and_bad_input() -> None:
    mutes = Mutes().add("entity", "Izhevsk", 3600, NOW, reason="drill")
    assert Mutes.from_json(mutes.to_json()) == mutes
    with pytest.raises(ValueError, match="item 0"):
        Mutes.from_json([{"kind": "story"}])
    for args in (("planet", "x", 10), ("story", " ", 10), ("story", "s", 0)):
        with pytest.raises(ValueError):
            Mutes().add(*args, now=NOW)  # type: ignore[arg-type]
