"""The pure parts of fetching: Retry-After, cache hints, Link headers, the address guard,
the capped decompressor, and WebSub signatures."""

from __future__ import annotations

import gzip
import zlib

import pytest
from multidict import CIMultiDict

from streams.errors import PermanentError
from streams.ingest.fetch import (
    BlockedAddress,
    TargetGuard,
    _Decoder,
    cache_hints,
    link_rels,
    retry_after_seconds,
)
from streams.ingest.websub import feed_id, sign, verify_signature

NOW = 1_715_800_000.0  # Wed, 15 May 2024 19:06:40 GMT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 15 May 2024 19:08:40 GMT", 120.0),
        ("Wed, 15 May 2024 19:00:00 GMT", 0.0),  # in the past: now
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "public, max-age=300"}, (300.0, None)),
        ({"Cache-Control": "max-age=60, no-cache"}, (None, None)),
        (
            {"Expires": "Wed, 15 May 2024 20:06:40 GMT", "Date": "Wed, 15 May 2024 19:06:40 GMT"},
            (None, 3600.0),
        ),
        ({}, (None, None)),
    ],
)
def test_cache_hints(headers: dict[str, str], expected: tuple[float | None, float | None]) -> None:
    assert cache_hints(CIMultiDict(headers), NOW) == expected


def test_link_rels() -> None:
    rels = link_rels(['<https://hub.test/>; rel="hub", <https://a.test/feed>; rel=self'])
    assert rels == {"hub": "https://hub.test/", "self": "https://a.test/feed"}


@pytest.mark.parametrize(
    ("allow", "address", "host", "ok"),
    [
        ([], "93.184.216.34", "example.test", True),
        ([], "127.0.0.1", "localhost", False),
        ([], "10.1.2.3", "intranet", False),
        ([], "169.254.169.254", "metadata", False),
        ([], "::1", "ip6-localhost", False),
        (["127.0.0.1"], "127.0.0.1", "127.0.0.1", True),
        (["localhost"], "127.0.0.1", "localhost", True),
        (["10.0.0.0/8"], "10.1.2.3", "intranet", True),
        (["10.0.0.0/8"], "192.168.1.1", "router", False),
    ],
)
def test_guard(allow: list[str], address: str, host: str, ok: bool) -> None:
    assert TargetGuard(allow).address_allowed(address, host) is ok


def test_guard_check_url() -> None:
    guard = TargetGuard([])
    guard.check_url("https://name.test/feed")  # names are checked at resolution
    with pytest.raises(BlockedAddress):
        guard.check_url("http://127.0.0.1:8080/feed")
    with pytest.raises(PermanentError, match="http"):
        guard.check_url("file:///etc/passwd")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "deflate-raw", ""])
def test_decoder_inflates(encoding: str) -> None:
    body = b"<rss>" + b"x" * 5000 + b"</rss>"
    if encoding == "gzip":
        data = gzip.compress(body)
    elif encoding == "deflate":
        data = zlib.compress(body)
    elif encoding == "deflate-raw":
        c = zlib.compressobj(wbits=-15)
        data, encoding = c.compress(body) + c.flush(), "deflate"
    else:
        data = body
    dec = _Decoder(encoding, cap=10_000)
    for i in range(0, len(data), 7):
        dec.feed(data[i : i + 7])
    assert dec.finish() == body


def test_decoder_refuses_bombs_and_junk() -> None:
    bomb = gzip.compress(b"\0" * 2_000_000)
    dec = _Decoder("gzip", cap=100_000)
    with pytest.raises(PermanentError, match="decompressed body over"):
        dec.feed(bomb)
    with pytest.raises(PermanentError, match="corrupt"):
        _Decoder("gzip", cap=1000).feed(b"not gzip at all")
    with pytest.raises(PermanentError, match="unsupported"):
        _Decoder("br", cap=1000)


@pytest.mark.parametrize("algo", ["sha1", "sha256", "sha512"])
def test_websub_signatures(algo: str) -> None:
    body = b"<feed/>"
    header = sign("s3cret", body, algo)
    assert verify_signature("s3cret", body, header)
    assert verify_signature("s3cret", body, header.upper().replace(algo.upper(), algo))
    assert not verify_signature("other", body, header)
    assert not verify_signature("s3cret", body + b" ", header)


@pytest.mark.parametrize("header", [None, "", "sha256", "md5=abc", "sha256=zz"])
def test_websub_bad_signature_headers(header: str | None) -> None:
    assert not verify_signature("s3cret", b"x", header)


def test_feed_id_is_stable_and_short() -> None:
    assert feed_id("https://a.test/rss") == feed_id("https://a.test/rss") != feed_id("https://b")
    assert len(feed_id("https://a.test/rss")) == 16


def test_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from streams.ingest.config import PollerOptions
    from streams.ingest.fetch import Fetcher

    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "internal.test")
    fetcher = Fetcher(PollerOptions(), "ua")
    assert fetcher._proxy_for("http://news.test/rss") == "http://proxy.test:3128"
    assert fetcher._proxy_for("http://internal.test/rss") is None
    assert fetcher._proxy_for("https://news.test/rss") is None  # no HTTPS_PROXY set
