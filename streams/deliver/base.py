"""What every destination implements. A sender does one attempt and raises our errors
(RetryLater, TransientError, PermanentError); retries, rate limits and digests are the
destination worker's job (deliver/worker.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from streams.events import Alert


class Sender(Protocol):
    kind: str  # slack_webhook | slack_bot | webhook | console

    def skip_reason(self, alert: Alert) -> str | None:
        """Why this destination does not want this alert (None: it does)."""
        ...

    async def send(self, alert: Alert) -> str:
        """Deliver one alert; return a detail for the ledger (e.g. the Slack ts)."""
        ...

    async def send_digest(self, alerts: Sequence[Alert], reason: str) -> str:
        """Deliver many alerts as one message."""
        ...

    async def close(self) -> None: ...
