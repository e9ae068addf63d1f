"""``GET /v1/alerts/ws``: the same stream over a WebSocket.

Server → client text frames, one JSON object each:
``{"type": "ready", "id": ..., "resumed": ..., "filter": {...}}`` then
``{"type": "alert", "id": "<position>", "alert": {...}}``. Resume with
``?last_event_id=<id>``. The server pings every heartbeat interval; what the client
sends is ignored (only close frames matter).
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiohttp import web

from streams.gateway.session import Outgoing, Session, SessionClosed
from streams.gateway.state import GATEWAY, tie_to_transport
from streams.logs import get_logger

log = get_logger("gateway")


def format_frame(out: Outgoing) -> str:
    if out.kind == "alert":
        return f'{{"type":"alert","id":"{out.id}","alert":{out.data.decode()}}}'
    # A ready message is a JSON object already: put its type in front of its fields.
    return f'{{"type":"{out.kind}",{out.data.decode()[1:]}'


async def _pump(ws: web.WebSocketResponse, session: Session, heartbeat: float) -> None:
    while True:
        out = await session.next(heartbeat)
        if out is not None:
            await ws.send_str(format_frame(out))


async def _drain(ws: web.WebSocketResponse) -> None:
    # Reading is what processes pongs and the client's close frame.
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.ERROR:
            break


async def alerts_ws(request: web.Request) -> web.WebSocketResponse:
    gw = request.app[GATEWAY]
    session, client = await gw.connect(request, request.query.get("last_event_id"))
    ws = web.WebSocketResponse(heartbeat=gw.options.heartbeat_s)
    reason = "client gone"
    pump = drain = None
    try:
        await ws.prepare(request)
        tie_to_transport(request, session, gw.options.send_buffer)
        pump = asyncio.create_task(_pump(ws, session, gw.options.heartbeat_s))
        drain = asyncio.create_task(_drain(ws))
        await asyncio.wait({pump, drain}, return_when=asyncio.FIRST_COMPLETED)
        if pump.done() and isinstance(pump.exception(), SessionClosed):
            reason = str(pump.exception())
    finally:
        for task in (pump, drain):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        await session.close()
        with contextlib.suppress(Exception):
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY if reason == "shutdown" else 1000)
        log.info(
            "client disconnected", extra={"client": client, "transport": "ws", "reason": reason}
        )
    return ws
