"""The gateway's plain JSON endpoints: recent alerts and stories, category stats, health."""

from __future__ import annotations

import orjson
from aiohttp import web

from streams.gateway.filters import FilterError, parse_filter, parse_int
from streams.gateway.position import encode_position
from streams.gateway.state import GATEWAY, bad_request

DEFAULT_LIMIT = 50


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _only(request: web.Request, *known: str) -> None:
    for name in request.query:
        if name not in known:
            raise FilterError(name, f"unknown parameter (known: {', '.join(known)})")


def _limit(request: web.Request) -> int:
    gw = request.app[GATEWAY]
    maximum = gw.options.recent_size
    return parse_int("limit", request.query.get("limit"), 1, maximum, min(DEFAULT_LIMIT, maximum))


async def recent_alerts(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    gw.guard.identify(request)
    try:
        limit = _limit(request)
        flt = parse_filter(request.query.items(), allowed=("access_token", "limit"))
    except FilterError as exc:
        raise bad_request(exc) from None
    records = gw.tail.recent.latest(limit, flt)
    # The payloads are already JSON: splice them in rather than decode and re-encode.
    items = b",".join(
        b'{"id":%s,"alert":%s}'
        % (orjson.dumps(encode_position({r.partition: r.offset + 1})), r.payload)
        for r in records
    )
    return web.Response(
        body=b'{"alerts":[%s],"count":%d}' % (items, len(records)),
        content_type="application/json",
    )


async def recent_stories(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    gw.guard.identify(request)
    try:
        _only(request, "access_token", "limit")
        limit = _limit(request)
    except FilterError as exc:
        raise bad_request(exc) from None
    stories = gw.tail.recent.stories(limit)
    return _json({"stories": stories, "count": len(stories)})


async def category_stats(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    gw.guard.identify(request)
    window = gw.options.stats_window_hours
    try:
        _only(request, "access_token", "hours")
        hours = parse_int("hours", request.query.get("hours"), 1, window, min(6, window))
    except FilterError as exc:
        raise bad_request(exc) from None
    return _json(gw.stats.report(hours))


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    body = {
        "ready": gw.ready,
        "broker": gw.probe.ok,
        "alerts_tail": gw.tail.connected,
        "events_tail": gw.stats.connected,
        "subscribers": gw.tail.subscriber_count,
    }
    return _json(body, 200 if gw.ready else 503)
