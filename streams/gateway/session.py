"""One client's stream, whatever the transport (SSE or WebSocket): a ``ready`` message,
then what it missed (when resuming), then live alerts, each with its position id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson

from streams.gateway.catchup import CatchUp
from streams.gateway.filters import AlertFilter
from streams.gateway.position import Position, encode_position
from streams.gateway.recent import AlertRecord
from streams.gateway.tail import AlertTail, Subscriber
from streams.settings import Settings


class SessionClosed(Exception):
    """The gateway closed this client (``reason``: slow, shutdown)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Outgoing:
    kind: str  # ready | alert
    id: str  # the client's position after this message
    data: bytes  # one line of JSON


class Session:
    def __init__(
        self, sub: Subscriber, tail: AlertTail, position: Position, ready: dict[str, object]
    ) -> None:
        self.sub, self.tail, self.position = sub, tail, position
        self._ready: dict[str, object] | None = ready
        self._catchup: CatchUp | None = None
        self._missed: AsyncIterator[AlertRecord] | None = None

    async def next(self, timeout: float) -> Outgoing | None:
        """The next message, or None when ``timeout`` passed without one (time for a
        heartbeat). Raises SessionClosed when the gateway dropped this client."""
        if self._ready is not None:
            ready, self._ready = self._ready, None
            ready["id"] = encode_position(self.position)
            return Outgoing("ready", str(ready["id"]), orjson.dumps(ready))
        while self._missed is not None:
            try:
                rec = await anext(self._missed)
            except StopAsyncIteration:
                await self._end_catchup()
                break
            if (out := self._accept(rec)) is not None:
                return out
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                rec_or_none = await asyncio.wait_for(
                    self.sub.queue.get(), max(0.0, deadline - loop.time())
                )
            except TimeoutError:
                return None
            if rec_or_none is None:
                raise SessionClosed(self.sub.closed_reason or "closed")
            if (out := self._accept(rec_or_none)) is not None:
                return out

    def _accept(self, rec: AlertRecord) -> Outgoing | None:
        # The catch-up may have read past where the tail started (never in one gateway, but
        # a client may come from another one): what the client has seen is not sent twice.
        if rec.offset < self.position.get(rec.partition, 0):
            return None
        if not self.sub.filter.matches(rec.alert):
            return None
        self.position[rec.partition] = rec.offset + 1
        return Outgoing("alert", encode_position(self.position), rec.payload)

    async def _end_catchup(self) -> None:
        self._missed = None
        if self._catchup is not None:
            await self._catchup.close()
            self._catchup = None

    async def close(self) -> None:
        self.tail.unsubscribe(self.sub)
        await self._end_catchup()


async def open_session(
    settings: Settings,
    tail: AlertTail,
    flt: AlertFilter,
    resume: Position | None,
    client: str,
    queue_size: int,
) -> Session:
    """Subscribe to the live tail first, then plan the catch-up up to that point."""
    sub, live = tail.subscribe(flt, queue_size, client)
    ready: dict[str, object] = {"resumed": resume is not None, "filter": flt.as_dict()}
    if resume is None:
        return Session(sub, tail, live, ready)
    catchup = CatchUp(settings, tail.topic, live)
    try:
        plan = await catchup.open(resume)
    except BaseException:
        tail.unsubscribe(sub)
        await catchup.close()
        raise
    ready.update(gap=plan.gap, reset=plan.reset)
    session = Session(sub, tail, dict(plan.start), ready)
    session._catchup, session._missed = catchup, catchup.records()
    return session
