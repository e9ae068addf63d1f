"""Mutes over HTTP, for the gateway: ``mute_routes(store)`` gives the routes to add.

    GET    /api/mutes                      -> {"mutes": [...]}
    POST   /api/mutes  {"kind": "story"|"entity", "value": "...", "for": "2h", "reason": ""}
    DELETE /api/mutes/{kind}/{value}

Authentication is the gateway's (its token middleware guards /api/*).
"""

from __future__ import annotations

import time
from dataclasses import asdict

import orjson
from aiohttp import web

from streams.alerts.durations import parse_duration
from streams.alerts.mutes import MUTE_KINDS, Mute
from streams.deliver.mute_store import MuteStore
from streams.errors import ConfigError, InputError


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


def _mute_doc(m: Mute, now: float) -> dict[str, object]:
    return {**asdict(m), "seconds_left": max(0, round(m.until - now))}


def mute_routes(store: MuteStore, prefix: str = "/api/mutes") -> list[web.RouteDef]:
    async def list_mutes(request: web.Request) -> web.Response:
        try:
            mutes = store.active()
        except ConfigError as exc:
            return _error(500, str(exc))
        now = time.time()
        return _json({"mutes": [_mute_doc(m, now) for m in mutes]})

    async def add_mute(request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _error(400, "body must be JSON")
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object")
        kind, value = body.get("kind"), body.get("value")
        if kind not in MUTE_KINDS:
            return _error(400, "kind must be 'story' or 'entity'")
        if not isinstance(value, str) or not value.strip():
            return _error(400, "value must be a non-empty string")
        try:
            seconds = parse_duration(body.get("for", "1h"))
            mute = store.mute(kind, value, seconds, str(body.get("reason", ""))[:200])
        except (ValueError, InputError) as exc:
            return _error(400, str(exc))
        except ConfigError as exc:
            return _error(500, str(exc))
        return _json({"mute": _mute_doc(mute, time.time())}, 201)

    async def delete_mute(request: web.Request) -> web.Response:
        kind, value = request.match_info["kind"], request.match_info["value"]
        if kind not in MUTE_KINDS:
            return _error(400, "kind must be 'story' or 'entity'")
        try:
            removed = store.unmute(kind, value)  # type: ignore[arg-type]
        except ConfigError as exc:
            return _error(500, str(exc))
        return _json({"removed": True}) if removed else _error(404, f"no mute on {kind} {value!r}")

    return [
        web.get(prefix, list_mutes),
        web.post(prefix, add_mute),
        web.delete(prefix + "/{kind}/{value}", delete_mute),
    ]
