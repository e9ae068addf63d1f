"""Pure pieces of metrics and progress: timestamps, hop latency, lag, progress redraws."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY

from streams.metrics import HOP_LATENCY, FeedCounters, LagTracker, iso_ts, observe_hop, render
from streams.progress import CLEAR, Progress, format_line


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T10:00:00Z", 1795168800.0),
        ("2026-11-20T10:00:00.250Z", 1795168800.25),
        ("2026-11-20T11:00:00+01:00", 1795168800.0),
        ("", None),
        ("yesterday", None),
    ],
)
def test_iso_ts(value: str, expected: float | None) -> None:
    assert iso_ts(value) == expected


def _hop(name: str) -> tuple[float, float]:
    count = REGISTRY.get_sample_value("newsstream_hop_latency_seconds_count", {"hop": name})
    total = REGISTRY.get_sample_value("newsstream_hop_latency_seconds_sum", {"hop": name})
    return count or 0.0, total or 0.0


@pytest.mark.parametrize(
    ("since", "now", "observed"),
    [
        ("2026-11-20T10:00:00Z", 1795168802.5, 2.5),
        ("2026-11-20T10:00:10Z", 1795168802.5, None),  # the future: clock skew, not latency
        ("", 1795168802.5, None),
        ("garbage", 1795168802.5, None),
    ],
)
def test_observe_hop(since: str, now: float, observed: float | None) -> None:
    name = f"test_{since}_{now}"
    before = _hop(name)
    observe_hop(HOP_LATENCY.labels(name), since, now)
    count, total = _hop(name)
    if observed is None:
        assert count == before[0]
    else:
        assert count == before[0] + 1
        assert total - before[1] == pytest.approx(observed)


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


class FakeConsumer:
    def __init__(self, high: dict[TP, int | None], pos: dict[TP, int]) -> None:
        self.high, self.pos = high, pos

    def assignment(self) -> set[TP]:
        return set(self.high)

    def highwater(self, tp: TP) -> int | None:
        return self.high[tp]

    async def position(self, tp: TP) -> int:
        return self.pos[tp]


def _lag(name: str, topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "newsstream_consumer_lag",
        {"consumer": name, "topic": topic, "partition": str(partition)},
    )


async def test_lag_is_highwater_minus_position_and_forgets_revoked_partitions() -> None:
    a0, a1, b0 = TP("a", 0), TP("a", 1), TP("b", 0)
    tracker = LagTracker("unit")
    await tracker.refresh(FakeConsumer({a0: 10, a1: 5, b0: None}, {a0: 4, a1: 5, b0: 0}))
    assert _lag("unit", "a", 0) == 6
    assert _lag("unit", "a", 1) == 0
    assert _lag("unit", "b", 0) is None  # no highwater yet: unknown, not zero
    # what the service has read beats the fetch position; a1 went to another member
    await tracker.refresh(FakeConsumer({a0: 12}, {a0: 12}), read={a0: 9})
    assert _lag("unit", "a", 0) == 3
    assert _lag("unit", "a", 1) is None
    assert b'newsstream_consumer_lag{consumer="unit",partition="0",topic="a"} 3.0' in render()[0]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_in_place_at_most_four_times_a_second() -> None:
    clock, out = Clock(), Tty()
    progress = Progress("classify", out, unit="articles", interval=0.25, clock=clock)
    for _ in range(10_000):  # 10,000 items over 2 s
        clock.now += 0.0002
        progress.tick()
    progress.finish()
    assert 7 <= progress.draws <= 2 / 0.25 + 1
    text = out.getvalue()
    assert text.count(CLEAR) == progress.draws
    assert text.endswith("classify: 10,000 articles  5,000/s  0:02.0\n")


def test_progress_is_silent_off_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress("parse", out)
    assert list(progress.track(range(5000))) == list(range(5000))
    assert progress.done == 5000
    assert out.getvalue() == ""


def test_progress_messages_clear_the_line_first() -> None:
    clock, out = Clock(), Tty()
    progress = Progress("cluster", out, clock=clock)
    clock.now += 1
    progress.tick()
    progress.say("cluster: line 3: not JSON; skipped")
    assert out.getvalue().endswith(CLEAR + "cluster: line 3: not JSON; skipped\n")


@pytest.mark.parametrize(
    ("done", "elapsed", "line"),
    [
        (0, 0.0, "x: 0 items  0/s  0:00.0"),
        (1500, 3.0, "x: 1,500 items  500/s  0:03.0"),
        (10, 125.5, "x: 10 items  0/s  2:05.5"),
        (7200, 3600.0, "x: 7,200 items  2/s  1:00:00.0"),
    ],
)
def test_format_line(done: int, elapsed: float, line: str) -> None:
    assert format_line("x", done, elapsed) == line


def test_feed_counters_count_polls_and_items_per_outlet() -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    counters = FeedCounters("Unit Ledger")
    counters.count("new", 3, 1)
    counters.count("not_modified", 0, 0)
    counters.count("not_modified", 0, 0)
    counters.count("throttled", 0, 0)  # an outcome this module did not know yet
    polls = "newsstream_feed_polls_total"
    assert sample(polls, outlet="Unit Ledger", outcome="new") == 1
    assert sample(polls, outlet="Unit Ledger", outcome="not_modified") == 2
    assert sample(polls, outlet="Unit Ledger", outcome="throttled") == 1
    items = "newsstream_feed_items_total"
    assert sample(items, outlet="Unit Ledger", kind="new") == 3
    assert sample(items, outlet="Unit Ledger", kind="updated") == 1
