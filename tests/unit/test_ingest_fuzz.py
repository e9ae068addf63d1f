"""Fuzzing the pure ingest path: bytes -> parse -> normalise, HTML -> text, URL -> canonical.

Zero crashes: the only exception allowed out of ``parse_feed`` is our InputError, and
``normalise_feed``, ``html_to_text`` and ``canonical_url`` take anything. Every
example has a deadline. 200 examples per property by default (a few seconds in all);
``NEWSSTREAM_FUZZ_EXAMPLES=5000`` for a longer run.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.errors import InputError
from streams.events import Article
from streams.ingest.html_text import html_to_text
from streams.ingest.normalize import FeedContext, canonical_url, normalise_feed
from streams.ingest.parse import parse_feed

EXAMPLES = int(os.environ.get("NEWSSTREAM_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=2000,  # ms per example: a hang or a blow-up fails the property
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 200,  # CI runs the same examples every time; long runs explore
)
FETCHED = 1_715_800_000.0


def ingest(data: bytes, content_type: str | None = None) -> list[Article]:
    """The poller's pure path; InputError is the one failure it may report."""
    try:
        parsed = parse_feed(data, base_url="https://fuzz.test/feed", content_type=content_type)
    except InputError as exc:
        assert str(exc), "an InputError must say why"
        return []
    articles = normalise_feed(parsed, FeedContext("https://fuzz.test/feed", "Fuzz"), FETCHED)
    for a in articles:
        assert a.article_id[:2] in ("u:", "g:", "h:")
        assert a.published.endswith("Z")
        assert a.url == "" or a.url.startswith(("http://", "https://"))
    return articles


# ---- feed-like XML ---------------------------------------------------------------------

FRAGMENTS = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<?xml version="1.0" encoding="latin-1"?>',
    '<?xml version="1.0" encoding="utf-16"?>',
    '<!DOCTYPE rss [<!ENTITY e "x">]>',
    '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x">',
    '<!ENTITY a SYSTEM "file:///etc/passwd">',
    '<rss version="2.0">',
    "</rss>",
    "<channel>",
    "</channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>",
    "</link>",
    "<guid>",
    '<guid isPermaLink="false">',
    "</guid>",
    "<description>",
    "</description>",
    "<pubDate>",
    "</pubDate>",
    "Tue, 14 May 2024 10:00:00 GMT",
    "2024-13-45T99:99:99Z",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "</feed>",
    "<entry>",
    "</entry>",
    '<link rel="alternate" href="/a?utm_source=x&amp;id=3"/>',
    '<link rel="hub" href="h"/>',
    '<content type="html">',
    '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">',
    "</div></content>",
    "</content>",
    "<updated>",
    "</updated>",
    "<![CDATA[",
    "]]>",
    "&amp;",
    "&lt;b&gt;",
    "&e;",
    "&a;",
    "&#x0;",
    "&#1114112;",
    "&#65;",
    "&nbsp;",
    "<br/>",
    "<p>",
    "</p>",
    "<script>alert(1)</script>",
    "https://news.example/story/1",
    "javascript:alert(1)",
    "//evil.example/x",
    "\x00",
    "\ufeff",
    "\ud7ff",
    "caf\u00e9",
    "\u0627\u0644\u062e\u0628\u0631",
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    "<dc:date>",
    "</dc:date>",
    "<sy:updatePeriod>hourly</sy:updatePeriod>",
    "<ttl>-5</ttl>",
    "<",
    ">",
    "'",
    '"',
    "=",
    "]]>",
    "<!--",
    "-->",
    "<?pi x?>",
]

xml_docs = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), min_size=1, max_size=60
).map("".join)
encodings = st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig", "cp1252"])
content_types = st.sampled_from(
    [
        None,
        "application/rss+xml",
        "text/xml",
        "text/html",
        "text/xml; charset=utf-16",
        "application/atom+xml; charset=latin-1",
        "application/json",
        "nonsense/;;;",
    ]
)


@FUZZ
@given(data=st.binary(max_size=4096), content_type=content_types)
def test_random_bytes_never_crash(data: bytes, content_type: str | None) -> None:
    ingest(data, content_type)


@FUZZ
@given(doc=xml_docs, encoding=encodings, content_type=content_types)
def test_feedlike_xml_never_crashes(doc: str, encoding: str, content_type: str | None) -> None:
    articles = ingest(doc.encode(encoding, "replace"), content_type)
    for a in articles:
        assert "root:x:0:0" not in a.summary + a.content + a.title  # no file was read


@FUZZ
@given(
    items=st.lists(
        st.lists(
            st.sampled_from(
                [
                    "<item>",
                    "<title>",
                    "</title>",
                    "<guid>",
                    "</guid>",
                    "<link>",
                    "</link>",
                    "</item>",
                    "x",
                    "&amp;",
                    "<b>",
                ]
            ),
            max_size=12,
        ).map("".join),
        max_size=8,
    )
)
def test_rss_shaped_documents_keep_their_items_or_say_why(items: list[str]) -> None:
    doc = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    ingest((doc + "".join(items) + "</channel></rss>").encode())


# ---- JSON Feed -------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ITEM_KEYS = [
    "id",
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "date_published",
    "date_modified",
    "authors",
    "author",
    "tags",
    "language",
]
json_items = st.dictionaries(
    st.sampled_from(ITEM_KEYS),
    st.one_of(
        json_values,
        st.sampled_from(
            [
                "2024-05-14T10:00:00Z",
                "2024-05-14T10:00:00",
                "Tue, 14 May 2024 10:00:00 GMT",
                "<p>Hello &amp; bye</p>",
                "https://news.example/a?utm_medium=x",
                "0",
                "",
            ]
        ),
    ),
)
json_feeds = st.fixed_dictionaries(
    {
        "version": st.sampled_from(
            [
                "https://jsonfeed.org/version/1",
                "https://jsonfeed.org/version/1.1",
                "https://jsonfeed.org/version/9",
                1,
                None,
            ]
        ),
        "items": st.one_of(st.lists(st.one_of(json_items, json_values), max_size=6), json_values),
    },
    optional={
        "title": json_values,
        "home_page_url": json_values,
        "hubs": json_values,
        "authors": json_values,
        "language": json_values,
        "feed_url": json_values,
    },
)


@FUZZ
@given(doc=json_feeds)
def test_json_feed_documents_never_crash(doc: dict[str, Any]) -> None:
    ingest(orjson.dumps(doc), "application/feed+json")


@FUZZ
@given(doc=json_values)
def test_any_json_never_crashes(doc: Any) -> None:
    ingest(orjson.dumps(doc))


# ---- HTML and URLs ---------------------------------------------------------------------

HTML_BITS = [
    "<p>",
    "</p>",
    "<br>",
    "<br/>",
    "<script>",
    "</script>",
    "<style>",
    "<b>",
    "</b>",
    "<a href='x'>",
    "</a>",
    "&amp;",
    "&lt;p&gt;",
    "&amp;lt;b&amp;gt;",
    "&#0;",
    "&#x110000;",
    "&bogus;",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<svg><svg><svg>",
    "</svg>",
    "<",
    ">",
    "&",
    "\u00a0",
    "\u2028",
    "\r\n",
    " ",
    "word",
]
html_docs = st.lists(st.one_of(st.sampled_from(HTML_BITS), st.text(max_size=10)), max_size=80)


@FUZZ
@given(parts=html_docs, keep_lines=st.booleans())
def test_html_to_text_takes_anything(parts: list[str], keep_lines: bool) -> None:
    text = html_to_text("".join(parts), keep_lines=keep_lines)
    assert isinstance(text, str)
    assert text == text.strip()
    if not keep_lines:
        assert "\n" not in text
    assert "<script>" not in text.lower() or "&lt;script" in "".join(parts).lower()


url_parts = st.builds(
    "{}{}{}{}{}{}".format,
    st.sampled_from(
        [
            "http://",
            "https://",
            "HTTP://",
            "ftp://",
            "",
            "//",
            "javascript:",
            "http:///",
            "https://[",
            "http://user:pw@",
        ]
    ),
    st.one_of(
        st.sampled_from(
            [
                "news.example",
                "WWW.News.Example.",
                "[::1]",
                "127.0.0.1",
                "xn--bcher-kva.example",
                "b\u00fccher.example",
                "h\u0000st",
                "a..b",
                "",
            ]
        ),
        st.text(max_size=12),
    ),
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":abc", ":"]),
    st.one_of(
        st.sampled_from(["", "/", "/a/../b", "/%zz", "/caf\u00e9", "/a b"]), st.text(max_size=12)
    ),
    st.sampled_from(["", "?", "?utm_source=x&id=2&a=1", "?a=%ff&&=", "?b=2&a=1&fbclid=q"]),
    st.sampled_from(["", "#frag", "#"]),
)


@FUZZ
@given(
    url=st.one_of(url_parts, st.text(max_size=60)),
    base=st.sampled_from(
        ["", "https://news.example/feed/", "http://[::1]:8080/x", "not a url", "https://["]
    ),
)
def test_canonical_url_takes_anything(url: str, base: str) -> None:
    out = canonical_url(url, base)
    assert out == "" or out.startswith(("http://", "https://"))
    if out:
        parts = urlsplit(out)
        assert not parts.fragment and "#" not in out
        assert not any(k.lower().startswith("utm_") for k, _ in parse_qsl(parts.query))
        assert canonical_url(out) == out  # canonical is a fixed point


@pytest.mark.parametrize(
    "url",
    ["https://news.example/a?b=2&a=1#x", "HTTP://News.Example:80/", "https://a.example/%7e"],
)
def test_canonical_url_fixed_point_examples(url: str) -> None:
    once = canonical_url(url)
    assert once and canonical_url(once) == once
