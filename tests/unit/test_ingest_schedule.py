"""Next-poll maths, table-tested."""

from __future__ import annotations

import pytest

from streams.ingest.schedule import (
    error_backoff,
    item_gap,
    next_interval,
    server_hint,
    with_jitter,
)

NOW = 1_000_000.0
H = 3600.0


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], None),
        ([NOW - 100], None),
        ([NOW - 3 * H, NOW - 2 * H, NOW - H], H),  # three items over three hours
        ([NOW - 20 * 86400, NOW - 10 * 86400], None),  # outside the week window
        ([NOW - 10.0, NOW - 5.0], 5.0),
        ([NOW, NOW], 1.0),  # floor: never a zero gap
    ],
)
def test_item_gap(times: list[float], expected: float | None) -> None:
    assert item_gap(times, NOW) == expected


@pytest.mark.parametrize(
    ("times", "lo", "hi", "hint", "expected"),
    [
        ([], 60, H, None, H),  # no rhythm yet: the slow bound
        ([NOW - 3 * H, NOW - 2 * H, NOW - H], 60, 4 * H, None, H / 2),  # half the gap
        ([NOW - 30, NOW - 20, NOW - 10], 60, H, None, 60),  # busy feed: min bound
        ([NOW - 3 * H, NOW - 2 * H, NOW - H], 60, 4 * H, 2 * H, 2 * H),  # server hint floors
        ([NOW - 3 * H, NOW - 2 * H, NOW - H], 60, H, 5 * H, H),  # max_interval beats the hint
        ([NOW - 30, NOW - 20], 60, H, 0, 60),  # a zero hint is no hint
    ],
)
def test_next_interval(
    times: list[float], lo: float, hi: float, hint: float | None, expected: float
) -> None:
    assert next_interval(times, NOW, lo, hi, hint) == expected


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        ((None, None, None, None), None),
        ((300.0, None, 900.0, None), 900.0),
        ((None, 120.0, None, 60.0), 120.0),
        ((0.0, -5.0, None, None), None),
    ],
)
def test_server_hint(hints: tuple[float | None, ...], expected: float | None) -> None:
    assert server_hint(*hints) == expected


@pytest.mark.parametrize(
    ("r", "expected"), [(0.0, 90.0), (0.5, 100.0), (0.999999, pytest.approx(110.0, abs=1e-3))]
)
def test_jitter(r: float, expected: float) -> None:
    assert with_jitter(100.0, 0.1, r) == expected


@pytest.mark.parametrize(
    ("errors", "lo", "retry_after", "expected"),
    [
        (1, 60, None, 60),
        (2, 60, None, 120),
        (5, 60, None, 960),
        (40, 60, None, 6 * H),  # capped, never given up
        (1, 1, None, 30),  # backoff starts at 30 s even for fast feeds
        (3, 60, 5.0, 60),  # Retry-After below min_interval: the min wins
        (3, 1, 5.0, 5.0),  # Retry-After obeyed exactly
        (1, 60, 10 * 86400.0, 86400.0),  # an absurd Retry-After is bounded by a day
    ],
)
def test_error_backoff(errors: int, lo: float, retry_after: float | None, expected: float) -> None:
    assert error_backoff(errors, lo, 6 * H, retry_after) == expected
