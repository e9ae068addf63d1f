"""Routes other areas contribute to the gateway, mounted behind its bearer auth:
feed health (from the poller's status snapshot), mutes, and the WebSub callback
(proxied to the poller process, which owns the subscriptions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from streams.deliver.api import mute_routes
from streams.deliver.mute_store import MuteStore
from streams.gateway.app import require_token
from streams.ingest.health import read_snapshot
from streams.settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def authed(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        require_token(request)
        return await handler(request)

    return guarded


def feeds_route(data_dir: Path) -> web.RouteDef:
    async def feeds(request: web.Request) -> web.Response:
        snap = read_snapshot(data_dir / "feeds-status.json")
        return web.Response(body=orjson.dumps(snap), content_type="application/json")

    return web.get("/v1/feeds", authed(feeds))


def websub_proxy(target: str) -> list[web.RouteDef]:
    """Forward hub verifications (GET) and deliveries (POST) to the poller's callback app.

    Hubs authenticate by HMAC signature and challenge, not by our bearer tokens."""

    async def forward(request: web.Request) -> web.Response:
        url = f"http://{target}{request.path_qs}"
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "link", "x-hub-signature", "x-hub-signature-256")
        }
        body = await request.read()
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.request(request.method, url, data=body, headers=headers) as resp,
            ):
                return web.Response(
                    status=resp.status,
                    body=await resp.read(),
                    content_type=resp.content_type,
                )
        except aiohttp.ClientError:
            return web.Response(status=503, text="poller unavailable")

    return [web.get("/websub/{feed_id}", forward), web.post("/websub/{feed_id}", forward)]


def extra_routes(settings: Settings, websub_target: str | None = None) -> list[web.RouteDef]:
    data_dir = Path(settings.data_dir)
    routes = [feeds_route(data_dir)]
    routes += [
        web.route(r.method, r.path, authed(r.handler))
        for r in mute_routes(MuteStore.for_settings(settings), prefix="/v1/mutes")
    ]
    if websub_target:
        routes += websub_proxy(websub_target)
    return routes
