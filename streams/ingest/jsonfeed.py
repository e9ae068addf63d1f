"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) into ParsedFeed (pure).

Other JSON (an API response, a list of articles) is not a feed: we say what it looks
like instead of guessing at its fields.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson

from streams.errors import InputError
from streams.ingest.parse import MAX_ITEMS, ParsedFeed, RawItem

_VERSIONS = {
    "https://jsonfeed.org/version/1": "json1",
    "https://jsonfeed.org/version/1.1": "json11",
}


def _describe(doc: Any) -> str:
    if isinstance(doc, dict):
        if "articles" in doc and "status" in doc:
            return "a NewsAPI-style response (keys status/articles), not a feed"
        keys = ", ".join(sorted(map(str, doc))[:6])
        return f"JSON object without a JSON Feed 'version' (keys: {keys})"
    return f"JSON {type(doc).__name__}, not a JSON Feed object"


# Each JSON object or array becomes a Python object of ~100 bytes or more: a cap on
# their number keeps a 40 MB "[{},{},...]" from taking gigabytes. Real feeds: a few
# per item.
MAX_CONTAINERS = 100_000


def parse_json_feed(data: bytes, *, base_url: str = "") -> ParsedFeed:
    containers = data.count(b"{") + data.count(b"[")  # strings count too: an upper bound
    if containers > MAX_CONTAINERS:
        raise InputError(f"over {MAX_CONTAINERS} JSON objects/arrays: too large for a feed")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc}") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    fmt = _VERSIONS.get(str(version).rstrip("/")) if version else None
    if fmt is None:
        if isinstance(version, str) and "jsonfeed.org/version/" in version:
            fmt = "json"
        else:
            raise InputError(_describe(doc))
    items = doc.get("items")
    if not isinstance(items, list):
        raise InputError("JSON Feed without an 'items' list")
    out = ParsedFeed(
        format=fmt,
        title=_str(doc.get("title")),
        link=_str(doc.get("home_page_url")),
        language=_str(doc.get("language")) or None,
        self_url=_str(doc.get("feed_url")) or None,
    )
    for hub in _list(doc.get("hubs")):
        if isinstance(hub, dict) and str(hub.get("type", "")).lower() == "websub":
            out.hub = _str(hub.get("url")) or None
            break
    feed_authors = _authors(doc)
    if len(items) > MAX_ITEMS:
        out.warnings.append(f"{len(items)} items: kept the first {MAX_ITEMS}")
        items = items[:MAX_ITEMS]
    for i, raw in enumerate(items):
        if not isinstance(raw, dict):
            out.warnings.append(f"items[{i}]: not an object, skipped")
            continue
        out.items.append(_item(raw, feed_authors, out.language))
    return out


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    """A list field as a list; anything else a hostile or sloppy feed puts there: []."""
    return value if isinstance(value, list) else []


def _authors(obj: dict[str, Any]) -> list[str]:
    names = [_str(a.get("name")) for a in _list(obj.get("authors")) if isinstance(a, dict)]
    single = obj.get("author")  # JSON Feed 1.0
    if isinstance(single, dict) and single.get("name"):
        names.append(_str(single["name"]))
    return [n for n in names if n]


def _date(value: Any) -> float | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)  # RFC 822 dates seen in the wild
        except (TypeError, ValueError, IndexError):
            return None
    if dt.tzinfo is None:
        return None  # a date without a zone cannot be placed in UTC reliably
    return dt.timestamp()


def _item(raw: dict[str, Any], feed_authors: list[str], language: str | None) -> RawItem:
    html = _str(raw.get("content_html"))
    text = _str(raw.get("content_text"))
    published = raw.get("date_published") or raw.get("date_modified")
    guid = raw.get("id")
    tags = [t for t in _list(raw.get("tags")) if isinstance(t, str)]
    return RawItem(
        title=_str(raw.get("title")),
        title_html=False,
        summary=_str(raw.get("summary")),
        summary_html=False,
        content=html or text,
        content_html=bool(html),
        link=_str(raw.get("url")) or _str(raw.get("external_url")),
        guid=str(guid) if guid is not None and str(guid).strip() else None,
        published_raw=published if isinstance(published, str) else None,
        published_ts=_date(published),
        authors=_authors(raw) or list(feed_authors),
        tags=tags,
        language=_str(raw.get("language")) or language,
    )
