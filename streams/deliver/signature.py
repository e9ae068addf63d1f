"""Webhook signatures: HMAC-SHA256 over ``timestamp + "." + body``. Pure (stdlib only).

Receivers check the signature with a constant-time compare and refuse old timestamps,
so a captured request cannot be replayed later (docs/alerts.md#webhook-signature).
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Newsstream-Timestamp"
SIGNATURE_HEADER = "X-Newsstream-Signature"
ALERT_ID_HEADER = "X-Newsstream-Alert-Id"
DEFAULT_TOLERANCE = 300.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> bool:
    """True when ``signature`` is ours for this body and the timestamp is recent."""
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
