"""``GET /v1/alerts/stream``: alerts as Server-Sent Events.

Each alert is ``id: <position>``, ``event: alert``, ``data: <Alert JSON>``. The first
event is ``ready`` (its id is the starting position, so a client that reconnects before
any alert still resumes from there). Heartbeats are SSE comments. A reconnecting client
sends ``Last-Event-ID`` (browsers do by themselves) and gets what it missed, then live.
"""

from __future__ import annotations

from aiohttp import web

from streams.gateway.session import Outgoing, SessionClosed
from streams.gateway.state import GATEWAY, tie_to_transport
from streams.logs import get_logger

log = get_logger("gateway")

HEARTBEAT = b": ping\n\n"


def format_event(out: Outgoing) -> bytes:
    # orjson output never holds a newline, so one data line is always enough.
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (out.id.encode(), out.kind.encode(), out.data)


async def alerts_stream(request: web.Request) -> web.StreamResponse:
    gw = request.app[GATEWAY]
    resume = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    session, client = await gw.connect(request, resume)
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # no proxy buffering
        }
    )
    reason = "client gone"
    try:
        await resp.prepare(request)
        tie_to_transport(request, session, gw.options.send_buffer)
        await resp.write(b"retry: %d\n\n" % gw.options.retry_ms)
        while True:
            out = await session.next(gw.options.heartbeat_s)
            await resp.write(HEARTBEAT if out is None else format_event(out))
    except SessionClosed as exc:
        reason = exc.reason
    except ConnectionError:
        pass
    finally:
        await session.close()
        log.info(
            "client disconnected", extra={"client": client, "transport": "sse", "reason": reason}
        )
    return resp
