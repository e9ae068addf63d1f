"""Feed formats into items: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1, and rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.errors import InputError
from streams.ingest.jsonfeed import parse_json_feed
from streams.ingest.parse import parse_feed, update_period

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "fmt", "count", "first_title"),
    [
        ("rss20.xml", "rss20", 5, "Ferry service resumes after storm closes northern strait"),
        ("rss091.xml", "rss091n", 1, "Café reopens on Main Street"),
        ("rss10.xml", "rss10", 1, "Tram line extension opens"),
        ("atom10.xml", "atom10", 1, "Les &lt;em&gt;vendanges&lt;/em&gt; commencent tôt"),
        ("atom03.xml", "atom03", 1, "Library extends opening hours"),
        ("jsonfeed11.json", "json11", 2, "Ice road closes early as thaw arrives"),
        ("jsonfeed10.json", "json1", 1, "Park benches repaired"),
    ],
)
def test_formats(name: str, fmt: str, count: int, first_title: str) -> None:
    feed = parse_feed(load(name))
    assert feed.format == fmt
    assert len(feed.items) == count
    # Atom's type="html" title still holds its markup here; normalisation strips it.
    assert feed.items[0].title.replace("<", "&lt;").replace(">", "&gt;") == first_title


def test_rss_channel_hints() -> None:
    feed = parse_feed(load("rss20.xml"))
    assert feed.hub == "https://hub.harbourwire.test/"
    assert feed.self_url == "https://news.harbourwire.test/world/rss.xml"
    assert feed.ttl_s == 15 * 60
    assert feed.update_period_s == 3600 / 4
    assert feed.language == "en-GB"
    first = feed.items[0]
    assert first.guid == "hw-2024-000123"
    assert first.authors == ["Mara Lind"]
    assert first.tags == ["Transport", "Weather"]
    assert first.published_ts == 1715671800.0  # 09:30 +02:00 == 07:30Z


def test_bozo_feed_keeps_items_with_warning() -> None:
    feed = parse_feed(load("broken.xml"))
    assert [i.guid for i in feed.items] == ["ledger-1", "ledger-2"]
    assert feed.warnings and "ill-formed" in feed.warnings[0]


def test_jsonfeed_details() -> None:
    feed = parse_feed(load("jsonfeed11.json"))
    assert feed.hub == "https://hub.dispatch.test/"
    assert feed.warnings == ["items[2]: not an object, skipped"]
    item = feed.items[0]
    assert item.content_html and "<p>" in item.content
    assert item.authors == ["Dispatch Desk"]  # feed-level authors inherited
    assert item.published_ts == 1715425200.0
    assert feed.items[1].published_ts is None and feed.items[1].published_raw == "yesterday"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (load("newsapi.json"), "NewsAPI-style response"),
        (b'{"version": "2", "items": []}', "without a JSON Feed 'version'"),
        (b"[1, 2]", "JSON list"),
        (b"{not json", "invalid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "'items' list"),
        (load("not_a_feed.html"), "not an RSS/Atom feed"),
        (b"   \n", "empty document"),
        (b"plain words, nothing else", "not an RSS/Atom feed"),
    ],
)
def test_not_feeds_are_rejected_clearly(data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_feed(data)


def test_wrong_charset_declaration_recovers() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        b"<item><title>Caf\xe9 prices rise</title><link>http://a.test/1</link></item>"
        b"</channel></rss>"
    )  # declared utf-8, actually windows-1252
    feed = parse_feed(body, content_type="application/rss+xml; charset=utf-8")
    assert feed.items[0].title == "Café prices rise"
    assert feed.warnings


@pytest.mark.parametrize(
    ("period", "freq", "expected"),
    [
        ("hourly", "2", 1800.0),
        ("daily", None, 86400.0),
        (" Weekly ", "1", 7 * 86400.0),
        ("hourly", "zero", 3600.0),
        ("fortnightly", "1", None),
        (None, "3", None),
    ],
)
def test_update_period(period: str | None, freq: str | None, expected: float | None) -> None:
    assert update_period(period, freq) == expected


def test_jsonfeed_direct_rejects_non_utf8() -> None:
    with pytest.raises(InputError):
        parse_json_feed(b"\xff\xfe{")
