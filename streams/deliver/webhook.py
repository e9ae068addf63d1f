"""Generic webhook destination: the alert as JSON, signed (deliver/signature.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from streams.alerts.render import render_webhook_body, render_webhook_digest
from streams.deliver.http import GuardedSession, Session, json_headers, post
from streams.deliver.signature import ALERT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from streams.events import Alert


class WebhookSender:
    kind = "webhook"

    def __init__(self, name: str, url: str, secret: str, session: Session, timeout: float) -> None:
        self.name, self._url, self._secret = name, url, secret
        self._session, self._timeout = session, timeout

    def __repr__(self) -> str:  # never the URL or the secret
        return f"WebhookSender({self.name!r})"

    def skip_reason(self, alert: Alert) -> str | None:
        return None

    def signed_headers(self, body: bytes, alert_id: str) -> dict[str, str]:
        ts = str(int(time.time()))
        return json_headers(
            {
                TIMESTAMP_HEADER: ts,
                SIGNATURE_HEADER: sign(self._secret, ts, body),
                ALERT_ID_HEADER: alert_id,
            }
        )

    async def send(self, alert: Alert) -> str:
        body = render_webhook_body(alert)
        headers = self.signed_headers(body, alert.alert_id)
        resp = await post(self._session, self._url, body, headers, self._timeout, self._what())
        return f"http {resp.status}"

    async def send_digest(self, alerts: Sequence[Alert], reason: str) -> str:
        body = render_webhook_digest(alerts)
        digest_id = "digest:" + ",".join(a.alert_id for a in alerts[:3])
        headers = self.signed_headers(body, digest_id)
        resp = await post(self._session, self._url, body, headers, self._timeout, self._what())
        return f"http {resp.status}"

    def _what(self) -> str:
        return f"webhook {self.name}"

    async def close(self) -> None:
        if isinstance(self._session, GuardedSession):
            await self._session.close()
