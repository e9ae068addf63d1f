"""Canonical URLs, article ids, clean text and dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.ingest.html_text import html_to_text
from streams.ingest.normalize import (
    FeedContext,
    article_id,
    canonical_url,
    changed_fields,
    clean_language,
    field_hashes,
    normalise_date,
    normalise_feed,
    short_hash,
)
from streams.ingest.parse import RawItem, parse_feed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
FETCHED = 1715800000.0  # 2024-05-15T19:06:40Z


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("HTTPS://News.Example.TEST:443/a/b?b=2&a=1#frag", "", "https://news.example.test/a/b?a=1&b=2"),
        ("http://example.test:80", "", "http://example.test/"),
        ("http://example.test:8080/x", "", "http://example.test:8080/x"),
        ("/story?utm_source=rss&utm_medium=x&id=7", "https://ex.test/feed", "https://ex.test/story?id=7"),
        ("story-2", "https://ex.test/world/feed.xml", "https://ex.test/world/story-2"),
        ("https://ex.test/a?fbclid=1&gclid=2&mc_cid=3&ref=tw&at_medium=4&p=99", "", "https://ex.test/a?p=99"),
        ("https://ex.test/a?q=", "", "https://ex.test/a?q="),
        ("mailto:desk@ex.test", "", ""),
        ("javascript:alert(1)", "https://ex.test/", ""),
        ("", "https://ex.test/", ""),
        ("http://[::1]:8080/f", "", "http://[::1]:8080/f"),
        ("http://bad:port/", "", ""),
    ],
)  # fmt: skip
def test_canonical_url(url: str, base: str, expected: str) -> None:
    assert canonical_url(url, base) == expected


@pytest.mark.parametrize(
    ("guid", "url", "feed_url", "stable", "kind"),
    [
        ("abc-1", "https://ex.test/a", "https://ex.test/feed", True, "g:"),
        ("https://ex.test/a?utm_source=x", "https://ex.test/b", "https://ex.test/feed", True, "u:"),
        ("abc-1", "https://ex.test/a", "https://ex.test/feed", False, "u:"),
        (None, "https://ex.test/a", "https://ex.test/feed", True, "u:"),
        (None, "", "https://ex.test/feed", True, "h:"),
    ],
)
def test_article_id_kinds(
    guid: str | None, url: str, feed_url: str, stable: bool, kind: str
) -> None:
    assert article_id(guid, url, feed_url, "texthash", stable).startswith(kind)


def test_article_id_rules() -> None:
    # a permalink guid and the same canonical link give one id (across feeds of any host)
    by_guid = article_id("https://EX.test/a?utm_source=x#c", "", "https://other.test/f", "h")
    by_link = article_id(None, "https://ex.test/a", "https://ex.test/feed", "h")
    assert by_guid == by_link
    # opaque guids are scoped by host (without www.), not by feed path or scheme
    a = article_id("42", "", "https://www.ex.test/world.xml", "h")
    b = article_id("42", "", "http://ex.test/moved/world.xml", "h")
    c = article_id("42", "", "https://elsewhere.test/world.xml", "h")
    assert a == b != c


def test_normalise_rss_fixture() -> None:
    parsed = parse_feed((FIXTURES / "rss20.xml").read_bytes())
    ctx = FeedContext(
        "https://news.harbourwire.test/world/rss.xml", "Harbour Wire", None, ["world"]
    )
    arts = normalise_feed(parsed, ctx, FETCHED)
    first, bridge, meteor, lighthouse, note = arts
    assert first.url == "https://news.harbourwire.test/world/ferry-resumes-123?page=2"
    assert (
        first.summary
        == "Crossings restarted on Tuesday & operators expect delays.\nSecond paragraph."
    )
    assert first.published == "2024-05-14T07:30:00Z" and first.published_flag is None
    assert first.language == "en-GB" and first.feed_tags == ["world"]
    assert first.outlet == "Harbour Wire"
    assert bridge.url == "https://news.harbourwire.test/world/bridge-budget"
    assert bridge.content == "The council voted 7–2."
    assert bridge.summary == 'Plain text summary with an entity — and "quotes".'
    assert (bridge.published_flag, bridge.published) == ("unparseable", "2024-05-15T19:06:40Z")
    assert meteor.published_flag == "future"
    assert lighthouse.published_flag == "before_1990"
    assert note.published_flag == "missing" and note.url == "" and note.article_id.startswith("h:")
    assert len({a.article_id for a in arts}) == 5
    # stable across polls: same input, same ids and hashes
    again = normalise_feed(parse_feed((FIXTURES / "rss20.xml").read_bytes()), ctx, FETCHED + 600)
    assert [a.article_id for a in again] == [a.article_id for a in arts]
    assert [a.content_hash for a in again] == [a.content_hash for a in arts]


def test_reused_guid_falls_back_to_url_and_duplicates_collapse() -> None:
    items = [
        RawItem(title="One", link="https://ex.test/1", guid="same"),
        RawItem(title="Two", link="https://ex.test/2", guid="same"),
        RawItem(title="Three", link="https://ex.test/3", guid="g3"),
        RawItem(title="Three again", link="https://ex.test/3", guid="g3"),
    ]
    from streams.ingest.parse import ParsedFeed

    arts = normalise_feed(
        ParsedFeed("rss20", items=items), FeedContext("https://ex.test/f"), FETCHED
    )
    assert [a.title for a in arts] == ["One", "Two", "Three"]
    assert arts[0].article_id.startswith("u:") and arts[2].article_id.startswith("g:")


@pytest.mark.parametrize(
    ("ts", "raw", "expected"),
    [
        (1715671800.0, "x", ("2024-05-14T07:30:00Z", None)),
        (None, None, ("2024-05-15T19:06:40Z", "missing")),
        (None, "  ", ("2024-05-15T19:06:40Z", "missing")),
        (None, "soon", ("2024-05-15T19:06:40Z", "unparseable")),
        (FETCHED + 3600, "x", ("2024-05-15T20:06:40Z", None)),  # an hour ahead: clock skew
        (FETCHED + 2 * 86400, "x", ("2024-05-15T19:06:40Z", "future")),
        (600000000.0, "x", ("2024-05-15T19:06:40Z", "before_1990")),
    ],
)
def test_normalise_date(
    ts: float | None, raw: str | None, expected: tuple[str, str | None]
) -> None:
    assert normalise_date(ts, raw, FETCHED) == expected


@pytest.mark.parametrize(
    ("html", "one_line", "expected"),
    [
        ("Plain title", True, "Plain title"),
        ("<p>A</p><p>B</p>", False, "A\nB"),
        ("<p>A</p><p>B</p>", True, "A B"),
        ("x<script>var a = '<b>';</script>y<style>p{}</style>z", False, "xyz"),
        ("Fish &amp; chips &#8212; &eacute;t&eacute;", False, "Fish & chips — été"),
        ("&lt;b&gt;double&lt;/b&gt; escaped", False, "double escaped"),
        ("  lots \n\n\n of\t\tspace\u00a0here ", False, "lots\nof space here"),
        ("<img src=x onerror=y>caption", False, "caption"),
        ("a < b and c > d", False, "a < b and c > d"),
        ("", False, ""),
        ("<p>unclosed <b>bold", False, "unclosed bold"),
    ],
)
def test_html_to_text(html: str, one_line: bool, expected: str) -> None:
    assert (
        html_to_text(html, keep_lines=not one_line).replace("\n", " " if one_line else "\n")
        == expected
    )


def test_changed_fields() -> None:
    old = field_hashes("Title", "Sum", "Body")
    assert changed_fields(old, field_hashes("Title", "Sum", "Body")) == []
    assert changed_fields(old, field_hashes("Title 2", "Sum", "Body 2")) == ["title", "content"]
    assert len(short_hash("x")) == 32


@pytest.mark.parametrize(
    ("value", "expected"),
    [("EN-gb", "en-gb"), ("en_US", "en-US"), ("fr", "fr"), ("english!", None), (None, None)],
)
def test_clean_language(value: str | None, expected: str | None) -> None:
    assert clean_language(value) == expected
