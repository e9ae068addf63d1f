"""Bearer-token auth and connect rate limiting for the gateway's /v1 endpoints.

Tokens come from ``settings.gateway_tokens``. With none configured the gateway runs in
demo mode (loopback only, see service.py): every request is let in and a warning is
logged once. Browsers cannot set headers on an EventSource, so ``?access_token=`` is
accepted as well as ``Authorization: Bearer``.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Sequence

import orjson
from aiohttp import web
from pydantic import SecretStr

from streams.gateway.limits import TokenBuckets
from streams.logs import get_logger

log = get_logger("gateway")


def json_error(
    cls: type[web.HTTPException], error: str, message: str, **headers: str
) -> web.HTTPException:
    body = orjson.dumps({"error": error, "message": message}).decode()
    return cls(text=body, content_type="application/json", headers=headers or None)


def token_index(presented: str, tokens: Sequence[str]) -> int | None:
    """Index of the matching token. Every token is compared, in constant time each, so
    the answer's timing says nothing about which token (or how much of one) matched."""
    found: int | None = None
    given = presented.encode()
    for i, token in enumerate(tokens):
        if hmac.compare_digest(given, token.encode()) and found is None:
            found = i
    return found


def presented_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query.get("access_token") or None


class Guard:
    """Decides who may call us and how often they may connect."""

    def __init__(self, tokens: Sequence[SecretStr], burst: float, rate: float) -> None:
        self._tokens = [t.get_secret_value() for t in tokens]
        self._buckets = TokenBuckets(burst, rate)
        self._warned = False

    @property
    def demo(self) -> bool:
        return not self._tokens

    def identify(self, request: web.Request) -> str:
        """The caller's identity for rate limiting (``token#i`` or ``ip:addr``); raise 401."""
        if self.demo:
            if not self._warned:
                self._warned = True
                log.warning(
                    "no gateway tokens configured: demo mode, every local client is let in",
                    extra={"remote": request.remote},
                )
            return f"ip:{request.remote}"
        presented = presented_token(request)
        index = token_index(presented, self._tokens) if presented else None
        if index is None:
            log.info(
                "unauthorized request",
                extra={
                    "remote": request.remote,
                    "path": request.path,
                    "token_given": bool(presented),
                },
            )
            raise json_error(
                web.HTTPUnauthorized,
                "unauthorized",
                "a valid bearer token is required (Authorization: Bearer or ?access_token=)",
                **{"WWW-Authenticate": 'Bearer realm="newsstream"'},
            )
        return f"token#{index}"

    def admit_connect(self, identity: str) -> None:
        """Spend one connect from the caller's bucket; raise 429 when it is empty."""
        wait = self._buckets.take(identity, time.monotonic())
        if wait > 0:
            log.info("connect rate limited", extra={"client": identity, "retry_after": wait})
            raise json_error(
                web.HTTPTooManyRequests,
                "rate_limited",
                f"too many connects; retry in {wait:.1f}s",
                **{"Retry-After": str(max(1, round(wait)))},
            )
