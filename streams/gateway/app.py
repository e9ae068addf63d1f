"""The gateway's aiohttp application: routes, background tails, clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

from streams.errors import ConfigError
from streams.gateway import api
from streams.gateway.auth import Guard
from streams.gateway.options import GatewayOptions
from streams.gateway.sse import alerts_stream
from streams.gateway.state import GATEWAY, Gateway
from streams.gateway.stats import CategoryStats
from streams.gateway.tail import AlertTail, BrokerProbe
from streams.gateway.ws import alerts_ws
from streams.metrics import BROKER_REACHABLE, GATEWAY_CLIENTS, render
from streams.settings import Settings
from streams.topics import topic_names

STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_app(
    settings: Settings,
    *,
    extra_routes: Sequence[web.RouteDef] = (),
    options: GatewayOptions | None = None,
) -> web.Application:
    """The gateway app. ``extra_routes`` lets other areas mount theirs (WebSub callbacks,
    mute API, feed status); they may call ``require_token(request)`` for bearer auth."""
    if settings.kafka_bootstrap is None:
        raise ConfigError(
            "environment", "NEWSSTREAM_KAFKA_BOOTSTRAP", "the gateway needs a broker address"
        )
    opts = options or GatewayOptions.from_settings(settings)
    names = topic_names(settings)
    gw = Gateway(
        settings=settings,
        options=opts,
        guard=Guard(settings.gateway_tokens, opts.connect_burst, opts.connect_rate),
        tail=AlertTail(settings, names.alerts, opts.recent_size),
        stats=CategoryStats(settings, names.events, opts.stats_window_hours),
        probe=BrokerProbe(settings.kafka_bootstrap, opts.probe_interval_s),
    )
    app = web.Application()
    app[GATEWAY] = gw
    app.cleanup_ctx.append(_background)
    app.on_shutdown.append(_close_clients)
    app.add_routes(
        [
            web.get("/", _index),
            web.get("/healthz", api.healthz),
            web.get("/readyz", api.readyz),
            web.get("/metrics", _metrics),
            web.get("/v1/alerts/stream", alerts_stream),
            web.get("/v1/alerts/ws", alerts_ws),
            web.get("/v1/alerts/recent", api.recent_alerts),
            web.get("/v1/stories/recent", api.recent_stories),
            web.get("/v1/stats/categories", api.category_stats),
            web.static("/static", STATIC_DIR, append_version=False),
            *extra_routes,
        ]
    )
    app.middlewares.append(_no_cache_static)
    return app


def require_token(request: web.Request) -> str:
    """Bearer auth for mounted routes: the caller's identity, or raise a JSON 401."""
    return request.app[GATEWAY].guard.identify(request)


async def _metrics(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    BROKER_REACHABLE.set(1 if gw.probe.ok else 0)
    GATEWAY_CLIENTS.set(gw.tail.subscriber_count)
    body, ctype = render()
    return web.Response(body=body, headers={"Content-Type": ctype})


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@web.middleware
async def _no_cache_static(request: web.Request, handler: Handler) -> web.StreamResponse:
    resp = await handler(request)
    if request.path.startswith("/static/") and not resp.prepared:
        resp.headers["Cache-Control"] = "no-cache"
    return resp


async def _background(app: web.Application) -> AsyncIterator[None]:
    gw = app[GATEWAY]
    tasks = [
        asyncio.create_task(gw.probe.run(), name="gateway-probe"),
        asyncio.create_task(gw.tail.run(), name="gateway-alert-tail"),
        asyncio.create_task(gw.stats.run(), name="gateway-events-tail"),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task


async def _close_clients(app: web.Application) -> None:
    app[GATEWAY].tail.close_all("shutdown")
