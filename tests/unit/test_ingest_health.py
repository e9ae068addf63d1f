"""Feed health rows, the text table, the snapshot file, and bounded feed state."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.ingest.config import FeedConfig
from streams.ingest.health import feed_status, format_table, read_snapshot, write_snapshot
from streams.ingest.state import FeedState

NOW = 1_715_800_000.0
FEED = FeedConfig(url="https://a.test/rss", outlet="A", max_interval=600)


def state(**kw: object) -> FeedState:
    return FeedState(url=FEED.url, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("st", "stale"),
    [
        (None, False),  # never polled
        (state(last_poll=NOW - 10, last_success=NOW - 10), False),  # no rhythm yet
        (state(last_poll=NOW, consecutive_errors=3), True),  # never succeeded, keeps failing
        (state(last_poll=NOW, last_success=NOW - 3 * 600 - 1, consecutive_errors=5), True),
        # items every 10 min, silent 30 min: still within 5 gaps / 2 max intervals
        (
            state(last_poll=NOW, last_success=NOW, item_times=[NOW - 3000, NOW - 2400, NOW - 1800]),
            False,
        ),
        # same rhythm, silent 3 hours
        (
            state(
                last_poll=NOW, last_success=NOW, item_times=[NOW - 12000, NOW - 11400, NOW - 10800]
            ),
            True,
        ),
    ],
)
def test_stale(st: FeedState | None, stale: bool) -> None:
    states = {FEED.url: st} if st else {}
    assert feed_status([FEED], states, NOW)[0].stale is stale


def test_status_rows_and_table(tmp_path: Path) -> None:
    other = FeedConfig(url="https://b.test/atom")
    states = {
        FEED.url: state(
            last_poll=NOW, last_success=NOW - 60, items_seen=12, interval=300.0, next_poll=NOW + 240
        ),
        other.url: FeedState(
            url=other.url,
            disabled=True,
            disabled_reason="HTTP 410 Gone",
            last_error="HTTP 410 Gone",
        ),
    }
    rows = feed_status([FEED, other], states, NOW)
    assert rows[0].last_success == "2024-05-15T19:05:40Z"
    assert rows[0].next_poll == "2024-05-15T19:10:40Z"
    assert (rows[0].items_seen, rows[0].interval_s, rows[0].enabled) == (12, 300.0, True)
    assert (rows[1].enabled, rows[1].next_poll, rows[1].outlet) == (False, None, "b.test")
    table = format_table(rows).splitlines()
    assert table[0].split()[:3] == ["OUTLET", "STATE", "ITEMS"]
    assert "ok" in table[1] and "12" in table[1] and "300s" in table[1]
    assert "gone" in table[2] and "HTTP 410 Gone" in table[2]
    path = tmp_path / "d" / "feeds-status.json"
    write_snapshot(path, rows, NOW)
    snap = read_snapshot(path)
    assert snap["generated_at"] == "2024-05-15T19:06:40Z"
    assert [f["url"] for f in snap["feeds"]] == [FEED.url, other.url]
    assert format_table(snap["feeds"]) == format_table(rows)  # the CLI can format the file
    assert list(path.parent.iterdir()) == [path]  # no temp files left behind
    assert read_snapshot(tmp_path / "none.json")["feeds"] == []


def test_state_round_trip_and_bound() -> None:
    st = FeedState(url="https://a.test/rss", etag='W/"x"')
    for i in range(10):
        st.remember(f"id{i}", "h" * 24, limit=5)
    st.remember("id6", "k" * 24, limit=5)  # a known id moves to the newest end
    assert list(st.items) == ["id5", "id7", "id8", "id9", "id6"]
    back = FeedState.from_bytes(st.to_bytes())
    assert back == st
    # fields written by a newer poller are ignored, not fatal
    assert FeedState.from_bytes(b'{"url": "u", "future_field": 1}').url == "u"
    with pytest.raises(ValueError):
        FeedState.from_bytes(b'{"etag": "x"}')
