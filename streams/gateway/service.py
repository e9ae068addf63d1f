"""``run_gateway``: serve the gateway until SIGTERM or SIGINT, then stop within seconds."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
from collections.abc import Sequence

from aiohttp import web

from streams.errors import ConfigError
from streams.gateway.app import build_app
from streams.gateway.options import GatewayOptions
from streams.logs import get_logger
from streams.settings import Settings

log = get_logger("gateway")

SHUTDOWN_TIMEOUT_S = 3.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Without tokens the gateway lets everyone in, so it may only listen on loopback."""
    if not settings.gateway_tokens and not is_loopback(settings.gateway_host):
        raise ConfigError(
            "environment",
            "NEWSSTREAM_GATEWAY_TOKENS",
            f"no tokens configured, so the gateway only listens on loopback, not "
            f"{settings.gateway_host!r}; set tokens (a JSON list) "
            "or NEWSSTREAM_GATEWAY_HOST=127.0.0.1",
        )


async def run_gateway(
    settings: Settings,
    *,
    extra_routes: Sequence[web.RouteDef] = (),
    options: GatewayOptions | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or ``stop`` is set)."""
    check_exposure(settings)
    app = build_app(settings, extra_routes=extra_routes, options=options)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(
            runner,
            settings.gateway_host,
            settings.gateway_port,
            shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        )
        await site.start()
        log.info(
            "gateway listening",
            extra={
                "host": settings.gateway_host,
                "port": _bound_port(runner, settings.gateway_port),
                "demo": not settings.gateway_tokens,
            },
        )
        await stop.wait()
        log.info("gateway stopping")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await runner.cleanup()
        log.info("gateway stopped")


def _bound_port(runner: web.AppRunner, configured: int) -> int:
    for addr in runner.addresses:
        if isinstance(addr, tuple) and len(addr) >= 2:
            return int(addr[1])
    return configured
