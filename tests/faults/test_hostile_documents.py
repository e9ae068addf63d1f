"""The parse-level defences against hostile documents, one by one (fast: runs in make test).

tests/faults/test_hostile_feeds.py serves the same attacks over real HTTP to the poller.
"""

from __future__ import annotations

import time

import pytest

from streams.errors import InputError
from streams.ingest.opml import import_opml
from streams.ingest.parse import (
    FIELD_CAPS,
    MAX_MARKUP,
    from_bom,
    markup_cost,
    parse_feed,
    strip_internal_subset,
)

RSS = b'<rss version="2.0"><channel><title>T</title>'
ITEM = b"<item><guid>i1</guid><title>Title</title><description>%s</description></item>"
END = b"</channel></rss>"


@pytest.mark.parametrize(
    ("doc", "out", "stripped"),
    [
        (b"<rss/>", b"<rss/>", False),
        (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>',
         b'<?xml version="1.0"?><!DOCTYPE rss ><rss/>', True),
        # a "]" or ">" inside a quoted entity value does not end the subset
        (b'<!DOCTYPE rss [<!ENTITY a "]>">]><rss/>', b"<!DOCTYPE rss ><rss/>", True),
        (b"<!DOCTYPE rss [<!-- ]> --><!ENTITY a 'x'>]><rss/>", b"<!DOCTYPE rss ><rss/>", True),
        (b'<!-- <!DOCTYPE x [ --><!DOCTYPE rss SYSTEM "http://x/y.dtd"><rss/>',
         b'<!-- <!DOCTYPE x [ --><!DOCTYPE rss SYSTEM "http://x/y.dtd"><rss/>', False),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x"><rss/>',
         b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x"><rss/>', False),
        # after the root element nothing is touched (expat refuses a DOCTYPE there anyway)
        (b"<rss><![CDATA[<!DOCTYPE x [ ]>]]></rss>", b"<rss><![CDATA[<!DOCTYPE x [ ]>]]></rss>",
         False),
    ],
)  # fmt: skip
def test_strip_internal_subset(doc: bytes, out: bytes, stripped: bool) -> None:
    assert strip_internal_subset(doc) == (out, stripped)


@pytest.mark.parametrize(
    "doc", [b"<!DOCTYPE rss [<!ENTITY a 'x'>", b'<!DOCTYPE rss "unclosed', b"<?xml never"]
)
def test_unterminated_prolog_is_an_input_error(doc: bytes) -> None:
    with pytest.raises(InputError, match="unterminated"):
        strip_internal_subset(doc)


def test_billion_laughs_is_not_expanded_and_is_fast() -> None:
    decl = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    doc = b"<?xml version='1.0'?><!DOCTYPE rss [" + decl + b"]>" + RSS + ITEM % b"&l9;" + END
    started = time.perf_counter()
    parsed = parse_feed(doc)
    assert time.perf_counter() - started < 0.5
    assert parsed.items[0].summary == "&l9;"
    assert any("DOCTYPE internal subset removed" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    "decl",
    [
        b'<!ENTITY x SYSTEM "file:///etc/passwd">',
        b'<!ENTITY x SYSTEM "file:///etc/hostname">',
        b'<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;',
    ],
)
def test_external_entities_read_nothing(decl: bytes) -> None:
    doc = b"<?xml version='1.0'?><!DOCTYPE rss [" + decl + b"]>" + RSS + ITEM % b"a &x; b" + END
    item = parse_feed(doc).items[0]
    assert "root:" not in item.summary and item.summary == "a &x; b"


@pytest.mark.parametrize(
    ("raw", "codec"),
    [
        ("\ufeff<?xml version='1.0' encoding='latin1'?><rss/>".encode("utf-16-le"), "utf-16-le"),
        ("\ufeff<?xml version='1.0'?><rss/>".encode("utf-16-be"), "utf-16-be"),
        ("\ufeff<rss/>".encode("utf-32-le"), "utf-32-le"),
        ("<?xml version='1.0'?><rss/>".encode("utf-16-le"), "utf-16-le"),  # no BOM
        (b"\xef\xbb\xbf<rss/>", "utf-8"),
        (b"<rss/>", None),
    ],
)  # fmt: skip
def test_byte_order_marks_win(raw: bytes, codec: str | None) -> None:
    data, found = from_bom(raw)
    assert found == codec
    if codec:
        assert data.decode("utf-8").endswith("<rss/>") and b"\x00" not in data
        assert b"latin1" not in data  # the declaration now says utf-8


@pytest.mark.parametrize(
    ("doc", "cost"),
    [
        (b"<a>x</a>", 2),
        (b'<a b="1" c="2">&amp;</a>', 5),
        (b"<a><![CDATA[<b>&amp;<c>=]]></a>", 3),  # CDATA: one unit, however full
        (b"<a><![CDATA[never closed <b><b>", 2),
    ],
)
def test_markup_cost(doc: bytes, cost: int) -> None:
    assert markup_cost(doc, 10**6) == cost


def test_crowded_element_and_markup_floods_are_refused_quickly() -> None:
    crowded = b"<a " + b" ".join(b'x%d="1"' % i for i in range(101)) + b"/>"
    flood = b"<b/>" * (MAX_MARKUP + 1)
    for body in (crowded, flood):
        started = time.perf_counter()
        with pytest.raises(InputError, match="too costly"):
            parse_feed(RSS + ITEM % body + END)
        assert time.perf_counter() - started < 0.5


def test_oversized_fields_are_cut_with_a_warning() -> None:
    huge = b"word " * 100_000
    parsed = parse_feed(RSS + ITEM % huge + END)
    assert len(parsed.items[0].summary) == FIELD_CAPS["summary"]
    assert any(w.startswith("i1: summary of 4999") and "cut to 20000" in w for w in parsed.warnings)


def test_out_of_range_character_references_do_not_crash_the_parser() -> None:
    parsed = parse_feed(RSS + b"<item><title>&#1114112; &#x110000; &#65;</title>")
    assert parsed.items[0].title.endswith("A")


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "b">]><opml><body/></opml>',
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE o [<!ENTITY a "b">]><opml/>'.encode(
            "utf-16"
        ),
    ],
)
def test_opml_with_a_doctype_is_refused_in_any_encoding(doc: bytes) -> None:
    with pytest.raises(InputError, match="DTD"):
        import_opml(doc)
