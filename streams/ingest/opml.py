"""OPML subscription lists in and out (pure).

Import reads every ``<outline>`` with an ``xmlUrl`` at any depth; the titles of the
enclosing folders become tags. Export writes one outline per feed, with tags as a
``category`` attribute (comma-separated) so a round trip keeps them.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from pydantic import ValidationError

from streams.errors import InputError
from streams.ingest.config import FeedConfig
from streams.ingest.normalize import iso_utc


def import_opml(data: bytes) -> list[FeedConfig]:
    """Feeds listed in an OPML document; raises InputError when it is not OPML."""
    refuse_doctype(data)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"not XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise InputError(f"not OPML (root element <{root.tag}>)")
    body = root.find("body")
    if body is None:
        raise InputError("OPML without <body>")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()

    def walk(node: ET.Element, folders: list[str]) -> None:
        for outline in node.findall("outline"):
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            title = (outline.get("title") or outline.get("text") or "").strip()
            if not url:
                walk(outline, [*folders, title] if title else folders)
                continue
            cats = [c.strip() for c in (outline.get("category") or "").split(",") if c.strip()]
            tags = list(dict.fromkeys([*folders, *(c.strip("/") for c in cats)]))
            lang = outline.get("language") or None
            try:
                feed = FeedConfig(url=url, outlet=title, tags=tags, language=lang)
            except ValidationError:
                continue  # a non-http URL in someone's OPML: skip that one, keep the rest
            if feed.url not in seen:
                seen.add(feed.url)
                feeds.append(feed)

    walk(body, [])
    return feeds


def _refuse(*_: object) -> None:
    raise InputError("OPML with a DTD/entities is refused (entity expansion)")


def refuse_doctype(data: bytes) -> None:
    """Raise InputError if the document declares a DOCTYPE (in any encoding expat reads,
    so a UTF-16 file cannot hide one), before anything is expanded."""
    if b"<!DOCTYPE" in data[:4096].upper():
        _refuse()
    scan = xml.parsers.expat.ParserCreate()
    scan.StartDoctypeDeclHandler = _refuse
    scan.EntityDeclHandler = _refuse
    with contextlib.suppress(xml.parsers.expat.ExpatError):  # ET reports it, with a position
        scan.Parse(data, True)


def export_opml(feeds: Iterable[FeedConfig], title: str = "newsstream feeds") -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_esc(title)}</title><dateCreated>{iso_utc(_now())}</dateCreated></head>",
        "  <body>",
    ]
    for f in feeds:
        attrs = {
            "type": "rss",
            "text": f.display_name(),
            "title": f.display_name(),
            "xmlUrl": f.url,
        }
        if f.tags:
            attrs["category"] = ",".join(f.tags)
        if f.language:
            attrs["language"] = f.language
        rendered = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        lines.append(f"    <outline {rendered}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def _esc(text: str) -> str:
    return quoteattr(text)[1:-1]


def _now() -> float:
    import time

    return time.time()
