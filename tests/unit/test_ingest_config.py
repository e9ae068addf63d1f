"""The feeds file: validation with file/key/reason, and OPML in and out."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.errors import ConfigError, InputError
from streams.ingest.config import FeedConfig, load_feeds, parse_feeds
from streams.ingest.opml import export_opml, import_opml

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_is_valid() -> None:
    cfg = load_feeds(ROOT / "config" / "feeds.yaml")
    assert len(cfg.feeds) >= 5
    assert all(f.url.startswith("https://") for f in cfg.feeds)


def test_defaults_and_bare_list() -> None:
    cfg = parse_feeds([{"url": "https://a.test/rss"}])
    feed = cfg.feeds[0]
    assert (feed.enabled, feed.min_interval, feed.max_interval, feed.weight) == (True, 60, 3600, 1)
    assert cfg.poller.allow_private == []


@pytest.mark.parametrize(
    ("doc", "key", "reason"),
    [
        ({"feeds": [{"url": "https://a.test"}, {"url": "ftp://b"}]}, "feeds[1].url", "http(s)"),
        ({"feeds": [{"outlet": "x"}]}, "feeds[0].url", "required"),
        (
            {"feeds": [{"url": "https://a.test", "min_interval": 10, "max_interval": 5}]},
            "feeds[0]",
            "min_interval",
        ),
        (
            {"feeds": [{"url": "https://a.test"}, {"url": "https://a.test"}]},
            "feeds[1].url",
            "duplicates",
        ),
        ({"feeds": [{"url": "https://a.test", "weight": 0}]}, "feeds[0].weight", "greater than"),
        ({"feeds": [{"url": "https://a.test", "colour": "red"}]}, "feeds[0].colour", "Extra"),
        ({"poller": {"allow_private": ["10.0.0.0/33"]}}, "poller.allow_private", "CIDR"),
        ({"poller": {"websub_listen": "nope"}}, "poller.websub_listen", "host:port"),
        ("just a string", "", "mapping"),
    ],
)
def test_errors_name_the_key(doc: object, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_feeds(doc, "feeds.yaml")
    assert err.value.file == "feeds.yaml"
    assert err.value.key == key
    assert reason in err.value.reason


def test_load_feeds_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "f.yaml"
    bad.write_text("feeds:\n  - url: [unclosed\n")
    with pytest.raises(ConfigError, match=r"f\.yaml: line \d+"):
        load_feeds(bad)
    with pytest.raises(ConfigError, match="No such file"):
        load_feeds(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_feeds(empty).feeds == []


def test_opml_import() -> None:
    feeds = import_opml((ROOT / "tests/fixtures/feeds/subscriptions.opml").read_bytes())
    assert [(f.url, f.outlet, f.tags, f.language) for f in feeds] == [
        ("https://news.harbourwire.test/world/rss.xml", "Harbour Wire", ["World"], None),
        ("https://veilleur.test/atom.xml", "Le Veilleur", ["World", "europe", "france"], "fr"),
    ]


def test_opml_round_trip() -> None:
    feeds = [
        FeedConfig(url="https://a.test/rss?x=1&y=2", outlet='Quotes "&" <co>', tags=["a", "b"]),
        FeedConfig(url="https://b.test/atom", language="de"),
    ]
    back = import_opml(export_opml(feeds))
    assert [(f.url, f.outlet, f.tags, f.language) for f in back] == [
        ("https://a.test/rss?x=1&y=2", 'Quotes "&" <co>', ["a", "b"], None),
        ("https://b.test/atom", "b.test", [], "de"),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html><body/></html>", "not OPML"),
        (b"<opml version='2.0'><head/></opml>", "without <body>"),
        (b"not xml", "not XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><opml><body/></opml>', "DTD"),
    ],
)
def test_opml_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        import_opml(data)
