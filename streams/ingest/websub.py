"""WebSub (https://www.w3.org/TR/websub/) subscriber: push instead of polling when a feed
has a hub.

The callback is ``<public url>/websub/{feed_id}``. ``websub_routes(manager)`` returns aiohttp
routes for any app to mount; ``WebSubManager.app()`` is a standalone app the poller runs on
``poller.websub_listen`` (the gateway proxies ``/websub/`` to it, or mounts the routes when
it runs in the same process). Deliveries go through ``Poller.ingest_document`` — the
same parse → normalise → publish path as a poll. A feed without a hub, or whose hub
refuses or never verifies, stays on polling; an active subscription slows polling to the
feed's max interval as a safety net.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from streams.ingest.config import FeedConfig
from streams.ingest.normalize import short_hash
from streams.logs import get_logger

if TYPE_CHECKING:
    from streams.ingest.poller import Poller

log = get_logger("poller")

RENEW_BEFORE = 0.1  # renew when this share of the lease is left ...
RENEW_MIN_S = 3600.0  # ... or an hour, whichever is more
RETRY_FAILED_S = 6 * 3600.0  # a refused/unverified subscription is tried again after this
PENDING_TIMEOUT_S = 600.0


def feed_id(url: str) -> str:
    """A short, stable id for a feed URL, used in the callback path."""
    return short_hash(url, size=8)


def sign(secret: str, body: bytes, algo: str = "sha256") -> str:
    return f"{algo}={hmac.new(secret.encode(), body, algo).hexdigest()}"


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature: sha1=…|sha256=…|sha384=…|sha512=…`` checked in constant time."""
    if not header or "=" not in header:
        return False
    algo, _, digest = header.strip().partition("=")
    algo = algo.lower()
    if algo not in ("sha1", "sha256", "sha384", "sha512"):
        return False
    expected = hmac.new(secret.encode(), body, getattr(hashlib, algo)).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


class WebSubManager:
    def __init__(self, poller: Poller, public_url: str, lease_seconds: int = 86400) -> None:
        self.poller = poller
        self.public_url = public_url.rstrip("/")
        self.lease_seconds = lease_seconds
        self.rejected = 0  # deliveries with a bad signature (ignored, per the spec)
        self.delivered = 0

    def callback_url(self, feed: FeedConfig) -> str:
        return f"{self.public_url}/websub/{feed_id(feed.url)}"

    def _feed(self, fid: str) -> FeedConfig | None:
        for feed in self.poller.feeds.values():
            if feed_id(feed.url) == fid:
                return feed
        return None

    def needs_subscription(self, feed: FeedConfig, now: float) -> bool:
        state = self.poller.states.get(feed.url)
        if not feed.enabled or not feed.websub or state is None or not state.hub:
            return False
        sub = state.websub or {}
        kind, since = sub.get("state"), float(sub.get("at", 0))
        if kind == "active":
            left = float(sub.get("lease_expires", 0)) - now
            return left < max(RENEW_MIN_S, RENEW_BEFORE * float(sub.get("lease", 0)))
        if kind == "pending":
            return now - since > PENDING_TIMEOUT_S
        if kind in ("failed", "denied"):
            return now - since > RETRY_FAILED_S
        return True

    async def maintain(self, session: aiohttp.ClientSession) -> None:
        """Subscribe feeds that advertise a hub; renew leases before they expire."""
        now = time.time()
        for feed in list(self.poller.feeds.values()):
            if self.needs_subscription(feed, now):
                await self.subscribe(session, feed)

    async def subscribe(self, session: aiohttp.ClientSession, feed: FeedConfig) -> bool:
        state = self.poller.state_of(feed.url)
        hub, topic = state.hub, state.topic or state.fetch_url
        if not hub:
            return False
        old = state.websub or {}
        # Renewals keep the secret so deliveries signed in flight still verify.
        secret = old.get("secret") or secrets.token_hex(20)
        sub: dict[str, Any] = {**old, "hub": hub, "topic": topic, "secret": secret}
        form = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": self.callback_url(feed),
            "hub.secret": secret,
            "hub.lease_seconds": str(self.lease_seconds),
        }
        try:
            self.poller.fetcher.guard.check_url(hub)
            async with session.post(hub, data=form, allow_redirects=False) as resp:
                ok = resp.status in (202, 204)
                reason = f"hub answered HTTP {resp.status}"
        except Exception as exc:  # a hub's failure only means we keep polling
            ok, reason = False, f"{type(exc).__name__}: {exc}"
        now = time.time()
        if ok:
            keep_active = old.get("state") == "active"
            sub.update(state=sub["state"] if keep_active else "pending", at=now)
        else:
            sub.update(state="failed", at=now, reason=reason)
            log.warning(
                "websub subscription failed; polling instead",
                extra={"feed_url": feed.url, "error": reason},
            )
        state.websub = sub
        await self.poller.store.save(state)
        return ok

    async def handle_verify(self, request: web.Request) -> web.StreamResponse:
        feed = self._feed(request.match_info["feed_id"])
        state = self.poller.states.get(feed.url) if feed else None
        q = request.query
        mode, topic = q.get("hub.mode", ""), q.get("hub.topic", "")
        if feed is None or state is None or not state.websub:
            return web.Response(status=404, text="unknown subscription")
        sub = state.websub
        if mode == "denied":
            sub.update(state="denied", at=time.time(), reason=q.get("hub.reason", "denied"))
            log.warning("websub denied; polling", extra={"feed_url": feed.url})
            await self.poller.store.save(state)
            return web.Response(text="ok")
        if mode != "subscribe" or topic != sub.get("topic") or "hub.challenge" not in q:
            return web.Response(status=404, text="not a subscription we asked for")
        try:
            lease = float(q.get("hub.lease_seconds", self.lease_seconds))
        except ValueError:
            lease = float(self.lease_seconds)
        now = time.time()
        sub.update(state="active", at=now, lease=lease, lease_expires=now + lease)
        log.info("websub subscription active", extra={"feed_url": feed.url, "lease_s": lease})
        await self.poller.store.save(state)
        return web.Response(text=q["hub.challenge"], content_type="text/plain")

    async def handle_delivery(self, request: web.Request) -> web.StreamResponse:
        feed = self._feed(request.match_info["feed_id"])
        state = self.poller.states.get(feed.url) if feed else None
        if feed is None or state is None or not state.websub:
            return web.Response(status=404, text="unknown subscription")
        cap = self.poller.config.poller.max_body_bytes
        body = await request.content.read(cap + 1)
        if len(body) > cap:
            return web.Response(status=413, text="too large")
        header = request.headers.get("X-Hub-Signature")
        if not verify_signature(str(state.websub.get("secret", "")), body, header):
            # The spec: answer 2xx anyway (no oracle for forgers) and ignore the content.
            self.rejected += 1
            log.warning(
                "websub delivery with a bad signature ignored", extra={"feed_url": feed.url}
            )
            return web.Response(status=202, text="ignored")
        self.delivered += 1
        outcome = await self.poller.ingest_document(feed, body, request.headers.get("Content-Type"))
        log.info(
            "websub delivery",
            extra={"feed_url": feed.url, "new": outcome.new, "updated": outcome.updated},
        )
        return web.Response(status=202, text="accepted")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.poller.config.poller.max_body_bytes)
        app.add_routes(websub_routes(self))
        return app


def websub_routes(manager: WebSubManager) -> list[web.RouteDef]:
    return [
        web.get("/websub/{feed_id}", manager.handle_verify),
        web.post("/websub/{feed_id}", manager.handle_delivery),
    ]
