"""Pure delivery pieces: token bucket, throttle, backoff, offsets, signatures, URL redaction."""

from __future__ import annotations

import pytest

from streams.deliver.http import parse_retry_after, redact_url
from streams.deliver.offsets import OffsetTracker
from streams.deliver.ratelimit import TokenBucket, WindowThrottle, backoff_delay
from streams.deliver.signature import sign, verify


def test_token_bucket_burst_then_rate() -> None:
    b = TokenBucket(rate=1.0, burst=3, now=0.0)
    assert [b.try_take(0.0) for _ in range(4)] == [True, True, True, False]
    assert b.wait_time(0.0) == pytest.approx(1.0)
    assert b.wait_time(0.4) == pytest.approx(0.6)
    assert b.try_take(0.99) is False
    assert b.try_take(1.0) is True
    # idle time refills only up to the burst
    assert sum(b.try_take(100.0) for _ in range(10)) == 3


def test_token_bucket_drain_after_429() -> None:
    b = TokenBucket(rate=2.0, burst=5, now=0.0)
    b.drain(0.0)
    assert b.try_take(0.0) is False
    assert b.wait_time(0.0) == pytest.approx(0.5)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (1, 0), (-1, 3)])
def test_token_bucket_rejects_nonsense(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst, 0.0)


def test_window_throttle() -> None:
    t = WindowThrottle(limit=2, window=10.0)
    assert [t.admit("r", 0.0), t.admit("r", 1.0), t.admit("r", 2.0)] == [True, True, False]
    assert t.admit("other", 2.0) is True
    assert t.next_free("r", 2.0) == 10.0
    assert t.admit("r", 10.0) is True
    assert t.next_free("r", 10.5) == 11.0


@pytest.mark.parametrize(
    ("attempt", "delay"), [(0, 0.0), (1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0), (30, 5.0)]
)
def test_backoff_delay(attempt: int, delay: float) -> None:
    assert backoff_delay(attempt, initial=0.5, maximum=5.0) == delay


def test_offsets_commit_only_up_to_the_oldest_unfinished() -> None:
    t = OffsetTracker()
    for offset in (10, 11, 12):
        t.add("p0", offset, 2)  # two destinations each
    t.add("p1", 5, 0)  # a message with nothing to deliver (dead-lettered on decode)
    assert t.committable() == {"p0": 10, "p1": 6}
    t.committed({"p1": 6})
    t.done("p0", 11)
    t.done("p0", 11)
    t.done("p0", 10)
    assert t.committable() == {"p0": 10}  # 10 still waits for its second destination
    t.done("p0", 10)
    assert t.committable() == {"p0": 12}
    t.done("p0", 12)
    t.done("p0", 12)
    assert t.committable() == {"p0": 13} and t.pending == 0
    t.committed({"p0": 13})
    assert t.committable() == {}
    t.done("p0", 99)  # unknown offsets are ignored
    t.forget(["p0"])
    assert t.committable() == {}


def test_signature_verifies_and_rejects_tampering_and_replay() -> None:
    body = b'{"alert_id":"s-abc:0"}'
    sig = sign("s3cret", "1700000000", body)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert verify("s3cret", "1700000000", body, sig, now=1700000100)
    assert not verify("s3cret", "1700000000", body + b" ", sig, now=1700000100)
    assert not verify("other", "1700000000", body, sig, now=1700000100)
    assert not verify("s3cret", "1700000001", body, sig, now=1700000100)
    assert not verify("s3cret", "1700000000", body, sig, now=1700001000)  # too old
    assert not verify("s3cret", "yesterday", body, sig, now=1700000100)


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("https://hooks.slack.com/services/T1/B2/XyZsecret", "https://hooks.slack.com/…"),
        ("http://127.0.0.1:8080/hook/x?token=abc", "http://127.0.0.1:8080/…"),
        ("not a url", "<url>"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        (None, None),
        ("", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=1445412480.0) == seconds
