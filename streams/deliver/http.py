"""POST with the outcome classified by our error hierarchy, and URLs kept out of messages.

Webhook URLs are secrets (the path is the credential), so errors name only the scheme and
host (``redact_url``) and never chain the aiohttp exception, whose text carries the URL.

Destinations reach only the addresses their ``AddressPolicy`` allows (streams/net.py):
a ``GuardedSession`` checks the URL, then its connector checks every address it
resolves and dials. Redirects are not followed — a webhook that moved is a 3xx error
naming the destination, so a URL cannot bounce a POST to an internal address.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from time import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from streams.errors import PermanentError, RetryLater, TransientError
from streams.net import AddressPolicy, BlockedAddress, blocked_from, guarded_connector


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T/B/X`` -> ``https://hooks.slack.com/…``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<url>"
    if not parts.scheme or not parts.hostname:
        return "<url>"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/…"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (now if now is not None else time()))


class GuardedSession:
    """An aiohttp session, opened on first use, whose connections pass ``policy``.

    One per destination (each has its own allow list); ``close()`` it when done.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"GuardedSession({self.policy!r})"

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=guarded_connector(self.policy, limit=8), trust_env=False
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


Session = aiohttp.ClientSession | GuardedSession


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]


async def post(
    session: Session,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    what: str,
) -> Response:
    """POST ``body``; return a 2xx response, else raise RetryLater/TransientError/PermanentError
    (BlockedAddress when the address policy refuses the target).

    ``what`` names the target in errors ("slack webhook alerts-ops"); the URL never does.
    """
    where = f"{what} ({redact_url(url)})"
    if isinstance(session, GuardedSession):
        try:
            session.policy.check_url(url)
        except PermanentError as exc:  # its text names the host, never the path
            raise type(exc)(f"{where}: {exc}") from None
        client = session.session()
    else:
        client = session
    try:
        async with client.post(
            url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as resp:
            data = await resp.read()
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            status = resp.status
    except TimeoutError:
        raise TransientError(f"{where}: timed out after {timeout:g}s") from None
    except aiohttp.ClientConnectionError as exc:
        blocked = blocked_from(exc)
        if blocked is not None:
            raise BlockedAddress(f"{where}: {blocked}") from None
        raise TransientError(f"{where}: connection failed ({type(exc).__name__})") from None
    except aiohttp.ClientError as exc:
        raise TransientError(f"{where}: HTTP client error ({type(exc).__name__})") from None
    except asyncio.CancelledError:
        raise
    snippet = data[:200].decode("utf-8", "replace").strip()
    if status == 429:
        retry_after = parse_retry_after(hdrs.get("retry-after"))
        raise RetryLater(f"{where}: 429 rate limited", retry_after=retry_after)
    if status == 503 and "retry-after" in hdrs:
        raise RetryLater(f"{where}: 503", retry_after=parse_retry_after(hdrs["retry-after"]))
    if status >= 500 or status == 408:
        raise TransientError(f"{where}: HTTP {status} {snippet}".rstrip())
    if 300 <= status < 400:
        raise PermanentError(f"{where}: HTTP {status}: redirects are not followed; fix the URL")
    if status >= 300:
        raise PermanentError(f"{where}: HTTP {status} {snippet}".rstrip())
    return Response(status=status, body=data, headers=hdrs)


def json_headers(extra: dict[str, Any] | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update({k: str(v) for k, v in (extra or {}).items()})
    return headers
