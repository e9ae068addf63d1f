"""Pure parts of the gateway: filters, positions, rate limits, recent views, token checks."""

from __future__ import annotations

import pytest

from streams.errors import ConfigError
from streams.events import Alert, Category, Place
from streams.gateway.auth import token_index
from streams.gateway.filters import AlertFilter, FilterError, parse_filter, parse_int
from streams.gateway.limits import TokenBuckets
from streams.gateway.position import decode_position, encode_position
from streams.gateway.recent import HOUR_MS, AlertRecord, CategoryCounts, RecentAlerts
from streams.gateway.service import check_exposure, is_loopback
from streams.settings import load_settings


def alert(
    n: int,
    *,
    story: str = "s",
    cats: tuple[str, ...] = ("strike",),
    sev: int = 3,
    countries: tuple[str | None, ...] = ("UA",),
    headline: str = "Drones over the city",
    revision: int = 0,
) -> Alert:
    return Alert(
        alert_id=f"{story}:{revision}",
        story_id=story,
        revision=revision,
        action="new",
        rule="r",
        destinations=[],
        headline=headline,
        url="",
        severity=sev,
        figures=[],
        categories=[Category(c, 0.9 - i / 10) for i, c in enumerate(cats)],
        places=[Place("x", c, None, None, "city") for c in countries],
        sources=[],
        source_count=1,
        first_seen="",
        event_id=f"e{n}",
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([], AlertFilter()),
        ([("category", "Strike")], AlertFilter(categories=frozenset({"strike"}))),
        (
            [("category", "strike,diplomacy")],
            AlertFilter(categories=frozenset({"strike", "diplomacy"})),
        ),
        ([("country", "ua"), ("country", "IL")], AlertFilter(countries=frozenset({"UA", "IL"}))),
        ([("min_severity", "3")], AlertFilter(min_severity=3)),
        ([("q", "  CeaseFire ")], AlertFilter(q="ceasefire")),
        ([("access_token", "t")], AlertFilter()),
    ],
)
def test_parse_filter(query: list[tuple[str, str]], expected: AlertFilter) -> None:
    assert parse_filter(query, allowed=("access_token",)) == expected


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ([("min_severity", "x")], "min_severity"),
        ([("min_severity", "0")], "min_severity"),
        ([("min_severity", "6")], "min_severity"),
        ([("country", "UKR")], "country"),
        ([("country", "ZZ")], "country"),
        ([("country", ",")], "country"),
        ([("category", "a b")], "category"),
        ([("q", "   ")], "q"),
        ([("q", "x" * 201)], "q"),
        ([("severity", "3")], "severity"),
    ],
)
def test_parse_filter_rejects(query: list[tuple[str, str]], param: str) -> None:
    with pytest.raises(FilterError) as err:
        parse_filter(query)
    assert err.value.param == param


@pytest.mark.parametrize(
    ("flt", "subject", "match"),
    [
        (
            AlertFilter(categories=frozenset({"diplomacy"})),
            alert(1, cats=("strike", "diplomacy")),
            True,
        ),
        (AlertFilter(categories=frozenset({"diplomacy"})), alert(1), False),
        (AlertFilter(min_severity=3), alert(1, sev=3), True),
        (AlertFilter(min_severity=4), alert(1, sev=3), False),
        (AlertFilter(countries=frozenset({"UA"})), alert(1, countries=("ua",)), True),
        (AlertFilter(countries=frozenset({"UA"})), alert(1, countries=(None, "PL")), False),
        (AlertFilter(q="drones"), alert(1, headline="DRONES over Kyiv"), True),
        (AlertFilter(q="missile"), alert(1), False),
        (AlertFilter(min_severity=2, q="city"), alert(1, sev=1), False),
    ],
)
def test_filter_matches(flt: AlertFilter, subject: Alert, match: bool) -> None:
    assert flt.matches(subject) is match


@pytest.mark.parametrize(
    "position",
    [{}, {0: 5}, {0: 0, 1: 3}, {3: 2**40, 1023: 1, 7: 9}],
)
def test_position_round_trip(position: dict[int, int]) -> None:
    encoded = encode_position(position)
    assert encoded.startswith("v1:")
    assert decode_position(encoded) == {p: o for p, o in position.items() if o > 0}


@pytest.mark.parametrize(
    "text",
    ["", "0-12", "v1:0-", "v1:a-1", "v1:0-1.0-2", "v1:0-1,1-2", "v1:" + "9" * 30 + "-1"],
)
def test_position_rejects(text: str) -> None:
    with pytest.raises(FilterError):
        decode_position(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 7), ("1", 1), (" 24 ", 24)],
)
def test_parse_int(value: str | None, expected: int) -> None:
    assert parse_int("hours", value, 1, 24, 7) == expected


def test_token_bucket_refills_per_key() -> None:
    b = TokenBuckets(capacity=2, rate=1.0)
    assert [b.take("a", 0.0), b.take("a", 0.0)] == [0.0, 0.0]
    assert b.take("a", 0.0) == pytest.approx(1.0)
    assert b.take("b", 0.0) == 0.0  # another client has its own bucket
    assert b.take("a", 1.0) == 0.0
    assert b.take("a", 1.5) == pytest.approx(0.5)


def test_token_buckets_forget_full_buckets_when_crowded() -> None:
    b = TokenBuckets(capacity=1, rate=1.0, max_keys=3)
    for k in "abc":
        b.take(k, 0.0)
    b.take("d", 10.0)
    assert len(b) == 1


def _rec(n: int, a: Alert) -> AlertRecord:
    return AlertRecord(0, n, n, a, b"{}")


def test_recent_alerts_newest_first_and_stories_grouped() -> None:
    ring = RecentAlerts(3)
    ring.add(_rec(0, alert(0, story="old")))
    ring.add(_rec(1, alert(1, story="a", sev=2)))
    ring.add(_rec(2, alert(2, story="b", countries=("IL",))))
    ring.add(_rec(3, alert(3, story="a", revision=1)))
    assert [r.offset for r in ring.latest(10)] == [3, 2, 1]  # the ring keeps 3
    assert [r.offset for r in ring.latest(10, AlertFilter(min_severity=3))] == [3, 2]
    stories = ring.stories(10)
    assert [(s["story_id"], s["revision"], s["alerts"]) for s in stories] == [
        ("a", 1, 2),
        ("b", 0, 1),
    ]


def test_recent_alerts_ordered_by_time_whatever_the_arrival_order() -> None:
    def rec(partition: int, offset: int, ts: int) -> AlertRecord:
        return AlertRecord(partition, offset, ts, alert(ts, story=f"s{ts}"), b"{}")

    ring = RecentAlerts(3)
    # partitions arrive in no defined order: 30 (partition 1) comes before 20 (partition 0)
    for r in (rec(0, 0, 10), rec(1, 0, 30), rec(0, 1, 20)):
        ring.add(r)
    assert [r.timestamp for r in ring.latest(10)] == [30, 20, 10]
    ring.add(rec(2, 0, 5))  # older than all three kept: not kept
    assert [r.timestamp for r in ring.latest(10)] == [30, 20, 10]
    ring.add(rec(2, 1, 25))  # full: the oldest goes
    assert [r.timestamp for r in ring.latest(10)] == [30, 25, 20]


def test_category_counts_window_and_duplicates() -> None:
    now = 100 * HOUR_MS + 5
    c = CategoryCounts(window_hours=3)
    assert c.add(now, "strike", "e1", now)
    assert not c.add(now, "strike", "e1", now)  # the same event delivered twice
    assert c.add(now - HOUR_MS, "diplomacy", "e2", now)
    assert not c.add(now - 3 * HOUR_MS, "strike", "e3", now)  # outside the window
    assert c.series(2, now) == [(99 * HOUR_MS, {"diplomacy": 1}), (100 * HOUR_MS, {"strike": 1})]


def test_token_index_finds_the_token() -> None:
    assert token_index("b", ["a", "b", "c"]) == 1
    assert token_index("", ["a"]) is None
    assert token_index("x", []) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_demo_mode_refuses_a_public_address() -> None:
    with pytest.raises(ConfigError, match="NEWSSTREAM_GATEWAY_TOKENS"):
        check_exposure(load_settings(gateway_host="0.0.0.0"))
    check_exposure(load_settings(gateway_host="0.0.0.0", gateway_tokens=["t"]))
    check_exposure(load_settings(gateway_host="127.0.0.1"))
