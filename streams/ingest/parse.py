"""Feed documents (bytes) into plain items (pure).

RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 go through feedparser; JSON Feed 1.0/1.1 through
orjson (jsonfeed.py). A document feedparser flags as ill-formed ("bozo") still
yields every item it recovered, with a warning. Anything that is not a feed at all
raises InputError with a reason a person can act on.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, field
from typing import Any

import feedparser

from streams.errors import InputError

# sy:updatePeriod units, in seconds
_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}


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


def looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def parse_feed(data: bytes, *, base_url: str = "", content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document. Raises InputError when ``data`` is not a feed."""
    if not data.strip():
        raise InputError("empty document")
    if looks_like_json(data):
        from streams.ingest.jsonfeed import parse_json_feed

        return parse_json_feed(data, base_url=base_url)
    return _parse_xml(data, base_url, content_type)


def _parse_xml(data: bytes, base_url: str, content_type: str | None) -> ParsedFeed:
    headers: dict[str, str] = {}
    if base_url:
        headers["content-location"] = base_url
    # Without a content type feedparser flags every document; a file or stdin is XML by nature.
    headers["content-type"] = content_type or "application/xml"
    # We turn HTML into text ourselves, so feedparser's sanitiser and URI rewriting are waste.
    d: Any = feedparser.parse(
        data, sanitize_html=False, resolve_relative_uris=False, response_headers=headers
    )
    version = d.get("version") or ""
    entries = d.get("entries") or []
    if not version and not entries:
        reason = d.get("bozo_exception")
        raise InputError(f"not an RSS/Atom feed ({reason})" if reason else "not an RSS/Atom feed")
    feed = d.get("feed") or {}
    out = ParsedFeed(
        format=version or "unknown",
        title=feed.get("title", "") or "",
        link=feed.get("link", "") or "",
        language=feed.get("language") or None,
    )
    if d.get("bozo"):
        exc = d.get("bozo_exception")
        out.warnings.append(f"ill-formed feed, recovered {len(entries)} items: {exc}")
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
