"""A fake Slack (and generic webhook receiver) that is a real HTTP server on 127.0.0.1.

It records every request and answers from a per-path script (429 with Retry-After,
500, slow answers); ``stop()`` closes the port so clients see connection refused, and
``start()`` opens the same port again. It speaks enough of the Web API for the bot-token
path: ``chat.postMessage`` (returns a ``ts``) and ``chat.update``.

    POST /services/T/B/<name>   Slack incoming webhook: "ok"
    POST /api/chat.postMessage  {"ok": true, "channel": ..., "ts": ...}
    POST /api/chat.update       {"ok": true, "channel": ..., "ts": ...}
    POST /hook/<name>           generic webhook: 200 "ok"
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # bytes/str as is, dict/list as JSON; None: the endpoint's normal answer
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived
    status: int = 0  # what we answered

    def json(self) -> Any:
        return json.loads(self.body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeSlack:
    def __init__(self) -> None:
        self.port = _free_port()
        self.requests: list[Recorded] = []
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._always: dict[str, Reply] = {}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.channel_id = "C0FAKE"

    # ---- addresses -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def webhook_url(self, name: str = "alerts") -> str:
        return f"{self.url}/services/T000/B000/{name}"

    def hook_url(self, name: str = "receiver") -> str:
        return f"{self.url}/hook/{name}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    # ---- scripting ---------------------------------------------------------------------
    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with these, in order; then normally."""
        self._scripts[path].extend(replies)

    def always(self, path: str, reply: Reply | None) -> None:
        """Answer every request to ``path`` with ``reply`` (None: back to normal)."""
        if reply is None:
            self._always.pop(path, None)
        else:
            self._always[path] = reply

    def to(self, path: str, status: int | None = None) -> list[Recorded]:
        return [
            r for r in self.requests if r.path == path and (status is None or r.status == status)
        ]

    async def wait_for(self, path: str, count: int, status: int = 200, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.to(path, status)) < count:
            if time.monotonic() > deadline:
                got = len(self.to(path, status))
                raise AssertionError(f"{path}: {got} requests with {status}, wanted {count}")
            await asyncio.sleep(0.02)

    # ---- server ------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/services/{tail:.*}", self._incoming_webhook)
        app.router.add_post("/api/{method}", self._web_api)
        app.router.add_post("/hook/{name}", self._generic)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _next_reply(self, path: str) -> Reply | None:
        if self._scripts[path]:
            return self._scripts[path].popleft()
        return self._always.get(path)

    async def _answer(self, request: web.Request, normal: Any) -> web.Response:
        body = await request.read()
        rec = Recorded(request.method, request.path, dict(request.headers), body, time.monotonic())
        self.requests.append(rec)
        reply = self._next_reply(request.path) or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        payload = normal if reply.body is None else reply.body
        if isinstance(payload, dict | list):
            payload = json.dumps(payload).encode()
        rec.status = reply.status
        return web.Response(status=reply.status, body=payload, headers=reply.headers)

    async def _incoming_webhook(self, request: web.Request) -> web.Response:
        return await self._answer(request, b"ok")

    async def _generic(self, request: web.Request) -> web.Response:
        return await self._answer(request, b"ok")

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.headers.get("Authorization", "") != "Bearer xoxb-test-token":
            return await self._answer(request, {"ok": False, "error": "invalid_auth"})
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return await self._answer(request, {"ok": True, "channel": self.channel_id, "ts": ts})
        if method == "chat.update":
            try:
                sent = json.loads(await request.read())
            except ValueError:
                sent = {}
            answer = {"ok": True, "channel": sent.get("channel"), "ts": sent.get("ts")}
            return await self._answer(request, answer)
        return await self._answer(request, {"ok": False, "error": "unknown_method"})
