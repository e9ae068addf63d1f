"""What the gateway's handlers share, and the steps every stream connect takes."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass

from aiohttp import web

from streams.gateway.auth import Guard, json_error
from streams.gateway.filters import FilterError, parse_filter
from streams.gateway.options import GatewayOptions
from streams.gateway.position import decode_position
from streams.gateway.session import Session, open_session
from streams.gateway.stats import CategoryStats
from streams.gateway.tail import AlertTail, BrokerProbe, NotReady
from streams.logs import get_logger
from streams.settings import Settings

log = get_logger("gateway")

STREAM_PARAMS = ("access_token", "last_event_id")


@dataclass(slots=True)
class Gateway:
    settings: Settings
    options: GatewayOptions
    guard: Guard
    tail: AlertTail
    stats: CategoryStats
    probe: BrokerProbe

    @property
    def ready(self) -> bool:
        return self.tail.connected and self.probe.ok

    async def connect(self, request: web.Request, resume_text: str | None) -> tuple[Session, str]:
        """Auth, rate limit, filters, resume point, subscription: the session and who it is.

        Raises the HTTP error (401, 429, 400, 503) to answer instead."""
        client = self.guard.identify(request)
        self.guard.admit_connect(client)
        try:
            flt = parse_filter(request.query.items(), allowed=STREAM_PARAMS)
            resume = decode_position(resume_text, _resume_param(request)) if resume_text else None
        except FilterError as exc:
            raise bad_request(exc) from None
        try:
            session = await open_session(
                self.settings, self.tail, flt, resume, client, self.options.client_queue
            )
        except NotReady:
            raise json_error(
                web.HTTPServiceUnavailable,
                "not_ready",
                "the gateway is not connected to Kafka yet; retry shortly",
                **{"Retry-After": "2"},
            ) from None
        log.info(
            "client connected",
            extra={
                "client": client,
                "remote": request.remote,
                "transport": "ws" if request.path.endswith("/ws") else "sse",
                "filter": flt.as_dict(),
                "resumed": resume is not None,
                "subscribers": self.tail.subscriber_count,
            },
        )
        return session, client


def tie_to_transport(request: web.Request, session: Session, send_buffer: int) -> None:
    """Cap the kernel send buffer of a streaming connection, and have a dropped client's
    transport aborted (it may be stuck in a write that never drains)."""
    transport = request.transport
    if transport is None:
        return
    session.sub.on_drop = transport.abort
    size = send_buffer
    sock = transport.get_extra_info("socket")
    if size > 0 and sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def _resume_param(request: web.Request) -> str:
    return "Last-Event-ID" if "Last-Event-ID" in request.headers else "last_event_id"


def bad_request(exc: FilterError) -> web.HTTPException:
    return json_error(web.HTTPBadRequest, "bad_parameter", str(exc))


GATEWAY = web.AppKey("gateway", Gateway)
