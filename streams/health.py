"""Liveness, readiness and metrics over HTTP for the services without their own web
server (poller, notifier), and the broker check every service's /readyz shares.

- ``/healthz``: 200 whenever the event loop answers: the process is alive.
- ``/readyz``: 200 when the broker answers a Metadata request and the service says it is
  working; 503 with the reason otherwise.
- ``/metrics``: Prometheus text (streams/metrics.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import orjson
from aiohttp import web

from streams.broker import metadata_ok
from streams.errors import NewsstreamError
from streams.logs import get_logger
from streams.metrics import BROKER_REACHABLE, render

log = get_logger("health")

Refresh = Callable[[], Awaitable[None]]


class BrokerCheck:
    """Is the broker reachable? A Metadata probe in a thread (never blocking the loop),
    with a short timeout, cached for ``ttl`` seconds so scrapes and probes stay cheap."""

    def __init__(self, bootstrap: str, ttl: float = 2.0, timeout: float = 1.0) -> None:
        self.hosts = [
            (h, int(p)) for h, _, p in (x.strip().rpartition(":") for x in bootstrap.split(","))
        ]
        self.ttl, self.timeout = ttl, timeout
        self._at = -float("inf")
        self._ok = False
        self._lock = asyncio.Lock()

    async def ok(self) -> bool:
        if time.monotonic() - self._at < self.ttl:
            return self._ok
        async with self._lock:  # many probes at once make one check
            if time.monotonic() - self._at < self.ttl:
                return self._ok
            result = False
            for host, port in self.hosts:
                if await asyncio.to_thread(metadata_ok, host, port, self.timeout):
                    result = True
                    break
            self._ok, self._at = result, time.monotonic()
            BROKER_REACHABLE.set(1 if result else 0)
            return result


class Phase:
    """What a service says about itself for /readyz: None once it is working."""

    def __init__(self, why: str | None = "starting") -> None:
        self.why = why

    def __call__(self) -> str | None:
        return self.why


async def readiness(broker: BrokerCheck, working: Callable[[], str | None]) -> tuple[int, dict]:
    """(status, body) for /readyz. ``working`` returns None when the service is working,
    else why it is not (e.g. "starting")."""
    if not await broker.ok():
        return 503, {"status": "not_ready", "reason": "broker unreachable"}
    why = working()
    if why is not None:
        return 503, {"status": "not_ready", "reason": why}
    return 200, {"status": "ok"}


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def health_routes(
    broker: BrokerCheck, working: Callable[[], str | None], refresh: Sequence[Refresh] = ()
) -> list[web.RouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        status, body = await readiness(broker, working)
        return _json(body, status)

    async def metrics(request: web.Request) -> web.Response:
        await broker.ok()
        for fn in refresh:
            await fn()
        body, ctype = render()
        return web.Response(body=body, headers={"Content-Type": ctype})

    return [
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/metrics", metrics),
    ]


class HealthServer:
    """A small aiohttp server with /healthz, /readyz and /metrics on loopback."""

    def __init__(self, name: str, host: str, port: int, routes: list[web.RouteDef]) -> None:
        self.name, self.host, self.port = name, host, port
        app = web.Application()
        app.add_routes(routes)
        self.runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )

    async def start(self) -> int:
        await self.runner.setup()
        try:
            await web.TCPSite(self.runner, self.host, self.port).start()
        except OSError as exc:
            await self.runner.cleanup()
            raise NewsstreamError(
                f"{self.name}: cannot listen on {self.host}:{self.port} for health and "
                f"metrics: {exc.strerror or exc}"
            ) from None
        for addr in self.runner.addresses:
            if isinstance(addr, tuple) and len(addr) >= 2:
                self.port = int(addr[1])
                break
        log.info(
            "health and metrics listening",
            extra={"service": self.name, "host": self.host, "port": self.port},
        )
        return self.port

    async def stop(self) -> None:
        await self.runner.cleanup()
