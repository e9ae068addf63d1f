"""The worker's /healthz, /readyz and /metrics, served by faust's own web server
(``web_port`` = NEWSSTREAM_WORKER_WEB_PORT + worker index)."""

from __future__ import annotations

from typing import Any

from aiohttp import web as aiohttp_web
from faust import web

from streams.health import BrokerCheck, readiness
from streams.metrics import LagTracker, render
from streams.worker.app import NewsApp


class WorkerHealth:
    """Ready once the worker has joined its group (partitions assigned, even none)."""

    def __init__(self, app: NewsApp) -> None:
        self.app = app
        assert app.settings.kafka_bootstrap is not None
        self.broker = BrokerCheck(app.settings.kafka_bootstrap)
        self.lag = LagTracker("worker")
        self.assigned = False
        app.on_partitions_assigned.connect(self._on_assigned)

    async def _on_assigned(self, *args: Any, **kwargs: Any) -> None:
        self.assigned = True

    def working(self) -> str | None:
        if not self.assigned:
            return "starting: no partitions assigned yet"
        return None

    async def refresh(self) -> None:
        await self.broker.ok()
        consumer = self.app.consumer
        # next offset to process, from what the streams actually read (faust's monitor)
        read = {tp: off + 1 for tp, off in self.app.monitor.tp_read_offsets.items()}
        await self.lag.refresh(consumer, read)


def register(app: NewsApp) -> None:
    health = WorkerHealth(app)

    @app.page("/healthz")
    async def healthz(self: web.View, request: web.Request) -> web.Response:
        return self.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(self: web.View, request: web.Request) -> web.Response:
        status, body = await readiness(health.broker, health.working)
        return self.json(body, status=status)

    @app.page("/metrics")  # type: ignore[arg-type]  # faust serves aiohttp responses as they are
    async def metrics(self: web.View, request: web.Request) -> aiohttp_web.Response:
        await health.refresh()
        body, ctype = render()
        # faust's helpers refuse a charset in content_type; the exposition format needs it
        return aiohttp_web.Response(body=body, headers={"Content-Type": ctype})
