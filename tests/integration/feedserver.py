"""A real local HTTP server for ingestion tests: each path answers what the test says,
and every request is recorded (path, headers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def rss(
    items: list[tuple[str, str, str]],
    title: str = "Test Wire",
    extra: str = "",
    newest: float = 1715800000.0,
) -> bytes:
    """An RSS 2.0 document; items are (guid, title, description), newest first, ten
    minutes apart from ``newest``."""
    body = "".join(
        f"<item><title>{t}</title><link>https://wire.test/{g}</link><guid>{g}</guid>"
        f"<description>{d}</description>"
        f"<pubDate>{formatdate(newest - i * 600, usegmt=True)}</pubDate></item>"
        for i, (g, t, d) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        f'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>{title}</title>'
        f"<link>https://wire.test/</link>{extra}{body}</channel></rss>"
    ).encode()


@dataclass
class FeedServer:
    server: TestServer
    handlers: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]

    def static(self, path: str, body: bytes, **headers: str) -> None:
        """Serve ``body`` with a strong ETag and Last-Modified; answer 304 to either validator."""
        etag = headers.pop("etag", f'"{abs(hash(body))}"')
        last_modified = headers.pop("last_modified", "Wed, 15 May 2024 19:00:00 GMT")

        async def handler(request: web.Request) -> web.StreamResponse:
            common = {"ETag": etag, "Last-Modified": last_modified, **headers}
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers=common)
            return web.Response(
                body=body, headers={"Content-Type": "application/rss+xml", **common}
            )

        self.handlers[path] = handler


async def start_feed_server() -> FeedServer:
    holder: list[FeedServer] = []

    async def dispatch(request: web.Request) -> web.StreamResponse:
        fs = holder[0]
        fs.requests.append((request.path, dict(request.headers)))
        handler = fs.handlers.get(request.path)
        if handler is None:
            return web.Response(status=404)
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dispatch)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fs = FeedServer(server)
    holder.append(fs)
    return fs
