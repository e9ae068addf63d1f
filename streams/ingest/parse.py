"""Feed documents (bytes) into plain items (pure).

RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 go through feedparser; JSON Feed 1.0/1.1 through
orjson (jsonfeed.py). A document feedparser flags as ill-formed ("bozo") still
yields every item it recovered, with a warning. Anything that is not a feed at all
raises InputError with a reason a person can act on.

Hostile documents (docs/reliability.md#hostile-input): the document is converted to
UTF-8 first (feedparser's own step, done here so we see what the XML parser will
see, UTF-7 tricks included), then a DOCTYPE's internal subset is removed, so no
entity is ever declared — no billion laughs, no quadratic blow-up, no external
entities (feedparser's own DOCTYPE filter only sees declarations at line starts).
At most ``MAX_ITEMS`` items are kept and each text field is cut to ``FIELD_CAPS``
characters, with a warning, so one monstrous item cannot exceed a Kafka message.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, field
from typing import Any

import feedparser
from feedparser.encodings import convert_to_utf8

from streams.errors import InputError

# sy:updatePeriod units, in seconds
_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
MAX_ITEMS = 1000  # below the poller's remember_items default, or old items would return
# Raw (possibly HTML) characters per field; the text made from them is never longer,
# and an Article then stays well under Kafka's 1 MiB message size.
FIELD_CAPS = {"title": 1_000, "summary": 20_000, "content": 200_000, "link": 4_000}
MAX_GUID, MAX_NAMES, MAX_NAME = 1_000, 50, 200  # guid; authors/tags per item, each
# feedparser costs about 1-20 us of Python per tag, attribute or entity reference (deep
# nesting the most): a cap on their number bounds the CPU one document takes to ~0.5 s.
# Real feeds have a few thousand.
MAX_MARKUP = 30_000
# The SAX layer looks attributes up by a linear scan, so one element with n attributes
# costs n^2 (100,000 of them: two minutes). An element with more is refused.
MAX_ATTRIBUTES = 100
_CROWDED_TAG = re.compile(rb"<[A-Za-z_][^<>=]*+(?:=[^<>=]*+){%d}" % (MAX_ATTRIBUTES + 1))
_ALTERNATE = re.compile(rb"<link\b[^>]*?type=[\"']?application/(?:rss|atom)\+xml[^>]*>", re.I)
_HREF = re.compile(rb"""href\s*=\s*["']?([^"' >]+)""", re.I)


@dataclass(slots=True)
class RawItem:
    """One entry as the feed gave it; text fields may still hold HTML (see *_html)."""

    title: str = ""
    title_html: bool = False
    summary: str = ""
    summary_html: bool = True
    content: str = ""
    content_html: bool = True
    link: str = ""
    guid: str | None = None
    published_raw: str | None = None  # the date string as written (None: no date at all)
    published_ts: float | None = None  # epoch seconds UTC, None when missing/unparseable
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None


@dataclass(slots=True)
class ParsedFeed:
    format: str  # rss20 | rss10 | rss091u | atom10 | atom03 | json1 | json11 ...
    title: str = ""
    link: str = ""
    language: str | None = None
    hub: str | None = None  # WebSub hub advertised in the document
    self_url: str | None = None
    ttl_s: float | None = None  # RSS <ttl>
    update_period_s: float | None = None  # sy:updatePeriod / sy:updateFrequency
    items: list[RawItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _skip_to(data: bytes, i: int, end: bytes) -> int:
    j = data.find(end, i)
    if j < 0:
        raise InputError("unterminated markup in the DOCTYPE or prolog")
    return j + len(end)


def strip_internal_subset(data: bytes) -> tuple[bytes, bool]:
    """Remove the ``[...]`` internal subset of the prolog's DOCTYPE (UTF-8 input).

    Returns (document, whether something was removed). Only the prolog is read:
    comments and processing instructions are skipped, the first element stops us.
    """
    i, n = 0, len(data)
    if data.startswith(b"\xef\xbb\xbf"):
        i = 3
    while i < n:
        while i < n and data[i] in b" \t\r\n":
            i += 1
        if data.startswith(b"<?", i):
            i = _skip_to(data, i + 2, b"?>")
        elif data.startswith(b"<!--", i):
            i = _skip_to(data, i + 4, b"-->")
        elif data.startswith(b"<!DOCTYPE", i):
            return _cut_subset(data, i + 9)
        else:
            return data, False
    return data, False


def _cut_subset(data: bytes, i: int) -> tuple[bytes, bool]:
    quote, n = 0, len(data)
    while i < n:
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in b"\"'":
            quote = c
        elif c == ord(">"):
            return data, False  # no internal subset: nothing is declared
        elif c == ord("["):
            end = _subset_end(data, i + 1)
            return data[:i] + data[end + 1 :], True
        i += 1
    raise InputError("unterminated DOCTYPE")


def _subset_end(data: bytes, i: int) -> int:
    """Index of the ``]`` closing an internal subset that opens before ``i``."""
    quote, n = 0, len(data)
    while i < n:
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in b"\"'":
            quote = c
        elif data.startswith(b"<!--", i):
            i = _skip_to(data, i + 4, b"-->")
            continue
        elif data.startswith(b"<?", i):
            i = _skip_to(data, i + 2, b"?>")
            continue
        elif c == ord("]"):
            return i
        i += 1
    raise InputError("unterminated DOCTYPE internal subset")


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8"),
)  # fmt: skip
_NO_BOM = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
_DECLARED = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")


def from_bom(data: bytes) -> tuple[bytes, str | None]:
    """A UTF-16/32 document (by its byte order mark, which XML makes authoritative, or
    its first characters) as UTF-8, its declaration saying so; (data, None) otherwise.
    feedparser trusts a text/xml content type over the mark and reads such a file as
    US-ASCII."""
    for marks in (_BOMS, _NO_BOM):
        for mark, codec in marks:
            if data.startswith(mark):
                skip = len(mark) if marks is _BOMS else 0
                text = data[skip:].decode(codec, "replace").encode("utf-8")
                return _DECLARED.sub(rb'\1"utf-8"', text, count=1), codec
    return data, None


_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _charref_in_range(m: re.Match[bytes]) -> bytes:
    ref = m.group(1)
    code = int(ref[1:], 16) if ref[:1] in b"xX" else int(ref)
    return m.group(0) if code <= 0x10FFFF else b"&#xFFFD;"


def markup_cost(data: bytes, limit: int) -> int:
    """Tags, attributes and entity references outside CDATA sections (what the XML
    parser hands to Python one by one); stops counting past ``limit``."""
    cost, i = 0, 0
    while cost <= limit:
        j = data.find(b"<![CDATA[", i)
        end = len(data) if j < 0 else j
        cost += sum(data.count(c, i, end) for c in (b"<", b"&", b"="))
        if _CROWDED_TAG.search(data, i, end):
            return limit + 1
        if j < 0:
            break
        k = data.find(b"]]>", j + 9)
        cost += 1
        if k < 0:
            break
        i = k + 3
    return cost


def cap_items(out: ParsedFeed) -> None:
    """Keep ``MAX_ITEMS`` items and cut oversized fields, saying so in the warnings."""
    if len(out.items) > MAX_ITEMS:
        out.warnings.append(f"{len(out.items)} items: kept the first {MAX_ITEMS}")
        del out.items[MAX_ITEMS:]
    for n, item in enumerate(out.items):
        cut: list[str] = []
        for name, cap in FIELD_CAPS.items():
            value: str = getattr(item, name)
            if len(value) > cap:
                setattr(item, name, value[:cap])
                cut.append(f"{name} of {len(value)} characters cut to {cap}")
        if item.guid is not None and len(item.guid) > MAX_GUID:
            item.guid = item.guid[:MAX_GUID]
            cut.append(f"guid cut to {MAX_GUID} characters")
        for name in ("authors", "tags"):
            values: list[str] = getattr(item, name)
            if len(values) > MAX_NAMES or any(len(v) > MAX_NAME for v in values):
                setattr(item, name, [v[:MAX_NAME] for v in values[:MAX_NAMES]])
                cut.append(f"{name} cut to {MAX_NAMES} of {MAX_NAME} characters")
        if cut:
            who = (item.guid or item.link or f"item {n}")[:200]
            out.warnings.append(f"{who}: {'; '.join(cut)}")


def not_a_feed(data: bytes, reason: Any) -> InputError:
    """The error for a document with no feed in it, naming the feed an HTML page links."""
    head = data[:65536]
    if re.search(rb"<html\b|<!doctype html", head, re.I):
        link = _ALTERNATE.search(head)
        href = _HREF.search(link.group(0)) if link else None
        if href:
            url = href.group(1).decode("utf-8", "replace")[:300]
            return InputError(f"not an RSS/Atom feed: an HTML page linking a feed at {url}")
        return InputError("not an RSS/Atom feed: an HTML page")
    return InputError(f"not an RSS/Atom feed ({reason})" if reason else "not an RSS/Atom feed")


def looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def parse_feed(data: bytes, *, base_url: str = "", content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document. Raises InputError when ``data`` is not a feed."""
    if not data.strip():
        raise InputError("empty document")
    if looks_like_json(data):
        from streams.ingest.jsonfeed import parse_json_feed

        out = parse_json_feed(data, base_url=base_url)
    else:
        out = _parse_xml(data, base_url, content_type)
    cap_items(out)
    return out


def _parse_xml(data: bytes, base_url: str, content_type: str | None) -> ParsedFeed:
    # Without a content type feedparser flags every document; a file or stdin is XML by nature.
    headers = {"content-type": content_type or "application/xml"}
    data, codec = from_bom(data)
    if codec is not None:  # now UTF-8: a charset in the header would be wrong
        headers["content-type"] = headers["content-type"].split(";")[0] + "; charset=utf-8"
    converted: dict[str, Any] = {}
    utf8 = convert_to_utf8(headers, data, converted)
    notes = [f"encoding: {converted['bozo_exception']}"] if converted.get("bozo") else []
    markup = markup_cost(utf8, MAX_MARKUP)
    if markup > MAX_MARKUP:
        raise InputError(
            f"over {MAX_MARKUP} tags, attributes and entity references, or an element with "
            f"over {MAX_ATTRIBUTES} attributes: too costly to parse as a feed"
        )
    if converted.get("encoding"):
        utf8, stripped = strip_internal_subset(utf8)
        if stripped:
            notes.append("DOCTYPE internal subset removed: entity declarations are not expanded")
        headers["content-type"] = "application/xml; charset=utf-8"
    if base_url:
        headers["content-location"] = base_url
    # feedparser's loose parser calls chr() on any number it finds
    utf8 = _CHARREF.sub(_charref_in_range, utf8)
    try:
        # We turn HTML into text ourselves: feedparser's sanitiser and URI rewriting are waste.
        d: Any = feedparser.parse(
            utf8, sanitize_html=False, resolve_relative_uris=False, response_headers=headers
        )
    except Exception as exc:  # hostile input finds parser bugs: one feed's error, not ours
        raise InputError(f"unparseable feed ({type(exc).__name__}: {exc})"[:500]) from None
    version = d.get("version") or ""
    entries = d.get("entries") or []
    if not version and not entries:
        raise not_a_feed(data, d.get("bozo_exception"))
    feed = d.get("feed") or {}
    out = ParsedFeed(
        format=version or "unknown",
        title=feed.get("title", "") or "",
        link=feed.get("link", "") or "",
        language=feed.get("language") or None,
        warnings=notes,
    )
    if d.get("bozo"):
        why = d.get("bozo_exception")
        out.warnings.append(f"ill-formed feed, recovered {len(entries)} items: {why}")
    for link in feed.get("links") or []:
        rel, href = link.get("rel"), link.get("href")
        if rel == "hub" and href and out.hub is None:
            out.hub = href
        elif rel == "self" and href and out.self_url is None:
            out.self_url = href
    out.ttl_s = _minutes(feed.get("ttl"))
    out.update_period_s = update_period(feed.get("sy_updateperiod"), feed.get("sy_updatefrequency"))
    out.items = [_item(e, out.language) for e in entries]
    return out


def _minutes(value: Any) -> float | None:
    try:
        minutes = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def update_period(period: Any, frequency: Any) -> float | None:
    """Seconds between updates from sy:updatePeriod / sy:updateFrequency (default 1)."""
    if not period:
        return None
    unit = _PERIODS.get(str(period).strip().lower())
    if unit is None:
        return None
    try:
        freq = max(1, int(str(frequency).strip())) if frequency else 1
    except ValueError:
        freq = 1
    return unit / freq


def _is_html(detail: Any, default: bool) -> bool:
    if not detail:
        return default
    return "html" in (detail.get("type") or "")


def _struct_to_ts(value: Any) -> float | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return float(calendar.timegm(value))
    except (OverflowError, ValueError):
        return None


def _item(e: Any, language: str | None) -> RawItem:
    content_list = e.get("content") or []
    content_entry = content_list[0] if content_list else None
    content = (content_entry or {}).get("value", "") or ""
    summary = e.get("summary", "") or ""
    if content and summary == content:  # feedparser copies content into a missing summary
        summary = ""
    # dict.get: FeedParserDict.get maps updated<->published with a DeprecationWarning
    raw = dict.get
    published_raw = raw(e, "published") or raw(e, "updated") or raw(e, "created")
    published_ts = _struct_to_ts(
        raw(e, "published_parsed") or raw(e, "updated_parsed") or raw(e, "created_parsed")
    )
    authors = [a.get("name", "") for a in e.get("authors") or [] if a.get("name")]
    if not authors and e.get("author"):
        authors = [e["author"]]
    tags = [t.get("term") or t.get("label") or "" for t in e.get("tags") or []]
    guid = e.get("id")
    return RawItem(
        title=e.get("title", "") or "",
        title_html=_is_html(e.get("title_detail"), False),
        summary=summary,
        summary_html=_is_html(e.get("summary_detail"), True),
        content=content,
        content_html=_is_html(content_entry, True),
        link=e.get("link", "") or "",
        guid=str(guid) if guid else None,
        published_raw=str(published_raw) if published_raw else None,
        published_ts=published_ts,
        authors=authors,
        tags=[t for t in tags if t],
        language=(e.get("title_detail") or {}).get("language") or language,
    )
