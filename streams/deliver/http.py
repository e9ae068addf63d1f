"""POST with the outcome classified by our error hierarchy, and URLs kept out of messages.

Webhook URLs are secrets (the path is the credential), so errors name only the scheme and
host (``redact_url``) and never chain the aiohttp exception, whose text carries the URL.
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


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    what: str,
) -> Response:
    """POST ``body``; return a 2xx response, else raise RetryLater/TransientError/PermanentError.

    ``what`` names the target in errors ("slack webhook alerts-ops"); the URL never does.
    """
    where = f"{what} ({redact_url(url)})"
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as resp:
            data = await resp.read()
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            status = resp.status
    except TimeoutError:
        raise TransientError(f"{where}: timed out after {timeout:g}s") from None
    except aiohttp.ClientConnectionError as exc:
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
    if status >= 300:
        raise PermanentError(f"{where}: HTTP {status} {snippet}".rstrip())
    return Response(status=status, body=data, headers=hdrs)


def json_headers(extra: dict[str, Any] | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update({k: str(v) for k, v in (extra or {}).items()})
    return headers
