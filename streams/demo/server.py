"""The demo feed server: our own demo articles (articles.yaml) served as RSS 2.0, Atom
and JSON Feed from loopback, gaining items while the demo runs.

An item appears in its outlet's feed ``at`` seconds after start (divided by ``speed``).
Answers conditional GETs with 304 like a well-behaved publisher.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

import orjson
import yaml
from aiohttp import web

from streams.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DemoArticle:
    id: str
    outlet: str
    at: float
    minutes_ago: float
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class DemoOutlet:
    slug: str
    name: str
    format: str
    language: str


def load_demo() -> tuple[dict[str, DemoOutlet], list[DemoArticle]]:
    raw = resources.files("streams.demo").joinpath("articles.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(raw)
    outlets = {
        slug: DemoOutlet(slug, o["name"], o["format"], o.get("language", "en"))
        for slug, o in doc["outlets"].items()
    }
    articles = [DemoArticle(**a) for a in doc["articles"]]
    for a in articles:
        if a.outlet not in outlets:
            raise ConfigError("streams/demo/articles.yaml", f"articles.{a.id}.outlet", "unknown")
    return outlets, articles


def feed_path(outlet: DemoOutlet) -> str:
    ext = {"rss": "xml", "atom": "atom", "jsonfeed": "json"}[outlet.format]
    return f"/{outlet.slug}.{ext}"


class DemoFeeds:
    def __init__(self, base_url: str, speed: float = 1.0, start: float | None = None) -> None:
        self.outlets, self.articles = load_demo()
        self.base_url = base_url.rstrip("/")
        self.speed = speed
        self.start = time.time() if start is None else start
        self.start_dt = datetime.fromtimestamp(self.start, UTC)

    def visible(self, slug: str, now: float | None = None) -> list[DemoArticle]:
        elapsed = ((now or time.time()) - self.start) * self.speed
        items = [a for a in self.articles if a.outlet == slug and a.at <= elapsed]
        return sorted(items, key=self._published, reverse=True)

    def _published(self, a: DemoArticle) -> datetime:
        return self.start_dt + timedelta(seconds=a.at / self.speed, minutes=-a.minutes_ago)

    def link(self, a: DemoArticle) -> str:
        return f"{self.base_url}/{a.outlet}/{a.id}?utm_source=demo"

    def render(self, slug: str) -> tuple[bytes, str]:
        outlet = self.outlets[slug]
        items = self.visible(slug)
        if outlet.format == "rss":
            return self._rss(outlet, items), "application/rss+xml; charset=utf-8"
        if outlet.format == "atom":
            return self._atom(outlet, items), "application/atom+xml; charset=utf-8"
        return self._jsonfeed(outlet, items), "application/feed+json"

    def _rss(self, o: DemoOutlet, items: list[DemoArticle]) -> bytes:
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
            f"<title>{escape(o.name)}</title><link>{self.base_url}/</link>",
            f"<description>{escape(o.name)} demo feed</description><ttl>1</ttl>",
        ]
        for a in items:
            parts.append(
                f"<item><title>{escape(a.title)}</title><link>{escape(self.link(a))}</link>"
                f'<guid isPermaLink="false">{escape(o.slug)}:{a.id}</guid>'
                f"<pubDate>{format_datetime(self._published(a))}</pubDate>"
                f"<description>{escape('<p>' + a.summary + '</p>')}</description></item>"
            )
        parts.append("</channel></rss>")
        return "".join(parts).encode()

    def _atom(self, o: DemoOutlet, items: list[DemoArticle]) -> bytes:
        updated = max((self._published(a) for a in items), default=self.start_dt)
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{escape(o.name)}</title><id>urn:demo:{o.slug}</id>",
            f"<updated>{updated.isoformat()}</updated>",
        ]
        for a in items:
            parts.append(
                f"<entry><title>{escape(a.title)}</title>"
                f'<link rel="alternate" href="{escape(self.link(a))}"/>'
                f"<id>urn:demo:{o.slug}:{a.id}</id>"
                f"<updated>{self._published(a).isoformat()}</updated>"
                f"<author><name>{escape(o.name)} staff</name></author>"
                f'<summary type="html">{escape("<p>" + a.summary + "</p>")}</summary></entry>'
            )
        parts.append("</feed>")
        return "".join(parts).encode()

    def _jsonfeed(self, o: DemoOutlet, items: list[DemoArticle]) -> bytes:
        return orjson.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": o.name,
                "home_page_url": f"{self.base_url}/",
                "items": [
                    {
                        "id": f"{o.slug}:{a.id}",
                        "url": self.link(a),
                        "title": a.title,
                        "content_html": f"<p>{a.summary}</p>",
                        "date_published": self._published(a).isoformat(),
                    }
                    for a in items
                ],
            }
        )

    def app(self) -> web.Application:
        app = web.Application()
        for slug, outlet in self.outlets.items():
            app.router.add_get(feed_path(outlet), self._handler(slug))
        app.router.add_get("/{outlet}/{article}", self._article)
        return app

    def _handler(self, slug: str) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            body, ctype = self.render(slug)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            return web.Response(body=body, headers={"Content-Type": ctype, "ETag": etag})

        return handle

    async def _article(self, request: web.Request) -> web.Response:
        for a in self.articles:
            if a.id == request.match_info["article"]:
                return web.Response(text=f"{a.title}\n\n{a.summary}\n")
        raise web.HTTPNotFound()
