"""Feed items into ``streams.events.Article``: canonical URL, identity, clean text, UTC dates.

Pure. The article id is decided here, once (docs/ingestion.md#article-id):

* ``u:<hash>`` — from the canonical URL: of a permalink guid (a guid that is an
  http(s) URL) or, when the guid is missing or not stable, of the item's link.
  The same story URL in two feeds of one outlet gets one id.
* ``g:<hash>`` — from an opaque guid, scoped by the feed's host (without ``www.``)
  because opaque guids ("12345") are only unique within a publisher. The scope is
  the host, not the feed URL, so a feed moving to https or to a new path (301)
  keeps its ids.
* ``h:<hash>`` — no usable guid and no link: host + normalised title/summary/content.

A guid is *not stable* when it is empty or the same guid names several items with
different links in one document (a CMS reusing a placeholder).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from streams.events import Article
from streams.ingest.html_text import collapse, html_to_text
from streams.ingest.parse import ParsedFeed, RawItem

_TRACKING_EXACT = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "ref", "ref_src", "ref_url", "_ga", "_gl", "cmpid", "ocid", "smid", "emc", "ito",
        "wt.mc_id", "spm", "share", "s_cid", "twclid", "li_fat_id", "guccounter",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "at_", "ns_", "mtm_", "pk_", "hsa_", "oly_", "vero_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# spaces and control characters in a path: encoded, so the canonical URL is one token
# and canonical_url(canonical_url(u)) == canonical_url(u); other characters kept as given
_UNSAFE_IN_PATH = re.compile(
    r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_MIN_TS = 631152000.0  # 1990-01-01T00:00:00Z
_FUTURE_SLACK = 86400.0


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in _TRACKING_EXACT or k.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str, base: str = "") -> str:
    """Lower-case scheme/host, no default port, no fragment, no tracking parameters,
    sorted query, relative links resolved against ``base``. "" for non-http(s) links."""
    url = (url or "").strip()
    if not url:
        return ""
    try:  # a link like "http://[" makes urljoin and urlsplit raise
        if base:
            url = urljoin(base, url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = ""
    if parts.query:
        pairs = [
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
        ]
        query = urlencode(sorted(pairs), doseq=True)
    path = _UNSAFE_IN_PATH.sub(lambda m: quote(m.group(0), safe=""), parts.path) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def feed_scope(feed_url: str) -> str:
    """The host that scopes opaque guids: lower-case, without ``www.``."""
    try:
        host = (urlsplit(feed_url).hostname or feed_url).lower()
    except ValueError:
        host = feed_url.lower()
    return host[4:] if host.startswith("www.") else host


def short_hash(*parts: str, size: int = 16) -> str:
    h = hashlib.blake2b(digest_size=size)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def content_hash(title: str, summary: str, content: str) -> str:
    return short_hash(title, summary, content)


def field_hashes(title: str, summary: str, content: str) -> str:
    """A compact fingerprint per field (8 hex each) remembered per item, so an update
    can say which fields changed without keeping the text."""
    return short_hash(title, size=4) + short_hash(summary, size=4) + short_hash(content, size=4)


def changed_fields(old: str, new: str) -> list[str]:
    names = ("title", "summary", "content")
    return [n for i, n in enumerate(names) if old[i * 8 : i * 8 + 8] != new[i * 8 : i * 8 + 8]]


def _is_url(guid: str) -> bool:
    g = guid[:8].lower()
    return g.startswith(("http://", "https://"))


def article_id(
    guid: str | None, url: str, feed_url: str, text_hash: str, guid_stable: bool = True
) -> str:
    if guid and guid_stable:
        if _is_url(guid):
            canon = canonical_url(guid)
            if canon:
                return "u:" + short_hash(canon)
        else:
            return "g:" + short_hash(feed_scope(feed_url), guid.strip())
    if url:
        return "u:" + short_hash(url)
    return "h:" + short_hash(feed_scope(feed_url), text_hash)


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def normalise_date(
    published_ts: float | None, published_raw: str | None, fetched_ts: float
) -> tuple[str, str | None]:
    """(UTC ISO-8601, flag). The fetch time stands in for unusable dates."""
    if published_ts is None:
        flag = "unparseable" if published_raw and published_raw.strip() else "missing"
        return iso_utc(fetched_ts), flag
    if published_ts > fetched_ts + _FUTURE_SLACK:
        return iso_utc(fetched_ts), "future"
    if published_ts < _MIN_TS:
        return iso_utc(fetched_ts), "before_1990"
    return iso_utc(published_ts), None


def _text(value: str, is_html: bool, *, one_line: bool = False) -> str:
    text = html_to_text(value, keep_lines=not one_line) if is_html else collapse(value)
    return text.replace("\n", " ") if one_line else text


@dataclass(slots=True)
class FeedContext:
    """What the feed config adds to every item of the feed."""

    feed_url: str
    outlet: str = ""
    language: str | None = None
    tags: list[str] = field(default_factory=list)


def unstable_guids(items: Iterable[RawItem]) -> set[str]:
    """Guids that name several items with different links in one document."""
    links: dict[str, set[str]] = {}
    counts: Counter[str] = Counter()
    for it in items:
        if it.guid:
            counts[it.guid] += 1
            links.setdefault(it.guid, set()).add(it.link)
    return {g for g, n in counts.items() if n > 1 and len(links[g]) > 1}


def normalise_item(
    item: RawItem,
    ctx: FeedContext,
    fetched_ts: float,
    *,
    base_url: str = "",
    guid_stable: bool = True,
    fetched_at: str | None = None,
) -> Article:
    title = _text(item.title, item.title_html, one_line=True)
    summary = _text(item.summary, item.summary_html)
    content = _text(item.content, item.content_html)
    if content and content == summary:
        content = ""
    link = item.link.strip()
    url = canonical_url(link, base_url or ctx.feed_url)
    if not url and item.guid and _is_url(item.guid):
        url = canonical_url(item.guid)
    chash = content_hash(title, summary, content)
    published, flag = normalise_date(item.published_ts, item.published_raw, fetched_ts)
    guid = item.guid.strip() if item.guid else None
    return Article(
        article_id=article_id(guid, url, ctx.feed_url, chash, guid_stable),
        feed_url=ctx.feed_url,
        outlet=ctx.outlet,
        url=url,
        title=title,
        summary=summary,
        content=content,
        link=link,
        guid=guid or None,
        authors=[a for a in (collapse(x) for x in item.authors) if a],
        tags=list(dict.fromkeys(t for t in (collapse(x) for x in item.tags) if t)),
        language=clean_language(ctx.language or item.language),
        published=published,
        published_flag=flag,
        fetched_at=fetched_at or iso_utc(fetched_ts),
        content_hash=chash,
        feed_tags=list(ctx.tags),
    )


def normalise_feed(
    parsed: ParsedFeed, ctx: FeedContext, fetched_ts: float, *, base_url: str = ""
) -> list[Article]:
    """Every item of a parsed feed as an Article; an id seen twice in one document is
    kept once (the first, as feeds list newest first)."""
    bad = unstable_guids(parsed.items)
    if not ctx.language and parsed.language:
        ctx = FeedContext(ctx.feed_url, ctx.outlet, parsed.language, ctx.tags)
    fetched_at = iso_utc(fetched_ts)
    seen: set[str] = set()
    out: list[Article] = []
    for item in parsed.items:
        art = normalise_item(
            item,
            ctx,
            fetched_ts,
            base_url=base_url,
            guid_stable=item.guid not in bad,
            fetched_at=fetched_at,
        )
        if art.article_id not in seen:
            seen.add(art.article_id)
            out.append(art)
    return out


_LANG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def clean_language(value: str | None) -> str | None:
    """A BCP 47-looking tag, lower-cased primary subtag; None for junk."""
    if not value or not _LANG.match(value.strip()):
        return None
    head, _, rest = value.strip().replace("_", "-").partition("-")
    return head.lower() + (f"-{rest}" if rest else "")
