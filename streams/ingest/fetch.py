"""HTTP for feeds: conditional GET, redirects, limits, timeouts, body caps (aiohttp).

``Fetcher.fetch`` answers a FetchResult for 200 and 304 and raises our errors for the
rest: RetryLater (429/503 with Retry-After), TransientError (timeouts, 5xx, refused
connections), FeedGone (410), PermanentError (other 4xx, oversized bodies, blocked
addresses). Redirects are followed here, hop by hop, so every target passes through
the address policy (streams/net.py) — the single place where an address is allowed
or refused — both as a URL and, at connect time, as the address actually dialled.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from streams.errors import PermanentError, RetryLater, TransientError
from streams.ingest.config import PollerOptions
from streams.net import (
    AddressPolicy,
    BlockedAddress,
    GuardedResolver,
    blocked_from,
    guarded_connector,
)

__all__ = ["BlockedAddress", "FeedGone", "FetchResult", "Fetcher", "GuardedResolver", "TargetGuard"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_LINK = re.compile(r"<([^>]*)>\s*;([^,]*)")
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.I)


class FeedGone(PermanentError):
    """410 Gone: the publisher retired the feed."""


@dataclass(slots=True)
class FetchResult:
    status: int  # 200 | 304
    url: str  # the URL finally fetched
    body: bytes = b""
    permanent_url: str | None = None  # set when a 301/308 chain moved the feed
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    max_age: float | None = None  # Cache-Control max-age (None with no-cache/no-store)
    expires_in: float | None = None
    hub: str | None = None  # Link: <...>; rel="hub"
    self_url: str | None = None
    elapsed: float = 0.0


def http_date_in(value: str | None, now: float | None = None) -> float | None:
    """Seconds from now until an HTTP-date (negative if past); None when unparseable."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is None:
        return None
    return dt.timestamp() - (time.time() if now is None else now)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP-date; None when absent or garbage."""
    if value is None:
        return None
    v = value.strip()
    if v.isdigit():
        return float(v)
    delta = http_date_in(v, now)
    return None if delta is None else max(0.0, delta)


def cache_hints(headers: Any, now: float | None = None) -> tuple[float | None, float | None]:
    """(max-age, seconds until Expires) from response headers."""
    cc = headers.get("Cache-Control", "") or ""
    low = cc.lower()
    if "no-store" in low or "no-cache" in low:
        return None, None
    m = _MAX_AGE.search(cc)
    max_age = float(m.group(1)) if m else None
    expires_in = None
    if max_age is None and headers.get("Expires"):
        # measure Expires against the server's own Date so clock skew does not matter
        served = http_date_in(headers.get("Date"), now) or 0.0
        exp = http_date_in(headers.get("Expires"), now)
        expires_in = None if exp is None else max(0.0, exp - served)
    return max_age, expires_in


def link_rels(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        for url, params in _LINK.findall(value):
            m = re.search(r'rel\s*=\s*"?([^";]+)"?', params)
            if m:
                for rel in m.group(1).split():
                    out.setdefault(rel.lower(), url.strip())
    return out


class TargetGuard(AddressPolicy):
    """The feed side's name for the shared address policy (streams/net.py)."""

    def address_allowed(self, address: str, host: str = "") -> bool:
        return self.allows(address, host)


class HostLimiter:
    """Per-host concurrency and request rate."""

    def __init__(self, concurrency: int, rate: float) -> None:
        self.concurrency = concurrency
        self.spacing = 1.0 / rate
        self.sems: dict[str, asyncio.Semaphore] = {}
        self.next_at: dict[str, float] = {}

    def semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self.sems.get(host)
        if sem is None:
            sem = self.sems[host] = asyncio.Semaphore(self.concurrency)
        return sem

    async def pace(self, host: str) -> None:
        now = time.monotonic()
        at = max(now, self.next_at.get(host, 0.0))
        self.next_at[host] = at + self.spacing
        if at > now:
            await asyncio.sleep(at - now)


class _Decoder:
    """Streams a gzip/deflate body and refuses to inflate past the cap (zip bombs)."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap, self.size = cap, 0
        enc = encoding.strip().lower()
        wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}.get(enc)
        self.raw_deflate_fallback = enc == "deflate"
        self.z: Any = None
        if wbits is not None or enc == "deflate":
            self.z = zlib.decompressobj(wbits if wbits is not None else zlib.MAX_WBITS)
        elif enc not in ("", "identity"):
            raise PermanentError(f"unsupported Content-Encoding {encoding!r}")
        self.parts: list[bytes] = []

    def _take(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise PermanentError(f"decompressed body over {self.cap} bytes")
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self.z is None:
            self._take(chunk)
            return
        try:
            data = self.z.decompress(chunk, self.cap - self.size + 1)
        except zlib.error:
            if self.raw_deflate_fallback and self.size == 0:  # "deflate" sent without zlib header
                self.raw_deflate_fallback = False
                self.z = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(chunk)
                return
            raise PermanentError("corrupt compressed body") from None
        self._take(data)
        if self.z.unconsumed_tail:
            raise PermanentError(f"decompressed body over {self.cap} bytes")

    def finish(self) -> bytes:
        if self.z is not None:
            self._take(self.z.flush())
            if not self.z.eof:  # what we have would parse as a truncated feed: say why
                raise PermanentError("corrupt compressed body (it ends early)")
        return b"".join(self.parts)


class Fetcher:
    def __init__(self, options: PollerOptions, user_agent: str) -> None:
        self.options = options
        self.user_agent = user_agent
        self.guard = TargetGuard(options.allow_private)
        self.hosts = HostLimiter(options.per_host_concurrency, options.per_host_rate)
        self.session: aiohttp.ClientSession | None = None
        self.proxies = urllib.request.getproxies()
        self._proxy_cache: dict[tuple[str, str], str | None] = {}

    def _proxy_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxy_cache:
            proxy = self.proxies.get(parts.scheme)
            bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
            if proxy and bypass(key[1], self.proxies):
                proxy = None
            self._proxy_cache[key] = proxy or None
        return self._proxy_cache[key]

    async def start(self) -> None:
        if self.session is not None:
            return
        o = self.options
        connector = guarded_connector(
            self.guard, limit=o.concurrency, limit_per_host=o.per_host_concurrency,
            ttl_dns_cache=300,
        )  # fmt: skip
        self.session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=o.total_timeout, sock_connect=o.connect_timeout, sock_read=o.read_timeout
            ),
            # Proxies come from the environment (HTTP(S)_PROXY, NO_PROXY) through _proxy_for;
            # aiohttp's trust_env would cost two thread hops (netrc, proxy) per request.
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # we inflate ourselves to enforce the decompressed cap
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        if self.session is None:
            await self.start()
        host = (urlsplit(url).hostname or "").lower()
        async with self.hosts.semaphore(host):
            await self.hosts.pace(host)
            start = time.monotonic()
            try:
                result = await self._follow(url, etag, last_modified)
            except TimeoutError:
                raise TransientError(f"timed out after {time.monotonic() - start:.1f}s") from None
            except aiohttp.ClientError as exc:
                blocked = blocked_from(exc)
                if blocked is not None:
                    raise blocked from None
                raise TransientError(f"{type(exc).__name__}: {exc}") from None
            result.elapsed = time.monotonic() - start
            return result

    async def _follow(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        assert self.session is not None
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                   "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"}  # fmt: skip
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        permanent: str | None = None
        still_permanent = True
        for _hop in range(self.options.max_redirects + 1):
            self.guard.check_url(url)
            proxy = self._proxy_for(url)
            async with self.session.get(
                url, headers=headers, allow_redirects=False, proxy=proxy
            ) as resp:
                status = resp.status
                if status in _REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise PermanentError(f"HTTP {status} without Location")
                    url = urljoin(url, location)
                    if status in _PERMANENT and still_permanent:
                        permanent = url
                    else:
                        still_permanent = False
                    continue
                return await self._answer(resp, url, permanent)
        raise PermanentError(f"more than {self.options.max_redirects} redirects")

    async def _answer(
        self, resp: aiohttp.ClientResponse, url: str, permanent: str | None
    ) -> FetchResult:
        status, h = resp.status, resp.headers
        if status in (429, 503):
            delay = retry_after_seconds(h.get("Retry-After"))
            if status == 429 or delay is not None:
                raise RetryLater(f"HTTP {status}", delay)
        if status == 410:
            raise FeedGone("HTTP 410 Gone")
        if status >= 500:
            raise TransientError(f"HTTP {status}")
        if status not in (200, 304):
            raise PermanentError(f"HTTP {status}")
        max_age, expires_in = cache_hints(h)
        rels = link_rels(h.getall("Link", []))
        result = FetchResult(
            status=status,
            url=url,
            permanent_url=permanent,
            etag=h.get("ETag"),
            last_modified=h.get("Last-Modified"),
            content_type=h.get("Content-Type"),
            max_age=max_age,
            expires_in=expires_in,
            hub=rels.get("hub"),
            self_url=rels.get("self"),
        )
        if status == 200:
            result.body = await self._read(resp)
        return result

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = self.options.max_body_bytes
        if resp.content_length is not None and resp.content_length > cap:
            raise PermanentError(f"body of {resp.content_length} bytes over the {cap}-byte cap")
        decoder = _Decoder(
            resp.headers.get("Content-Encoding", ""), self.options.max_decompressed_bytes
        )
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > cap:
                raise PermanentError(f"body over the {cap}-byte cap")
            decoder.feed(chunk)
        return decoder.finish()
