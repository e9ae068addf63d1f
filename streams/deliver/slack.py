"""Slack destinations: an incoming webhook, or a bot token with the Web API.

With a bot token an update is a reply in the original message's thread plus a
``chat.update`` of the original, so the channel shows one message per story. An incoming
webhook cannot edit or thread, so it only posts an update when severity or a key figure
changed; a new source alone is not worth another message in the channel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import orjson

from streams.alerts.decider import is_key_change
from streams.alerts.render import render_slack, render_slack_digest
from streams.deliver.http import GuardedSession, Session, json_headers, post
from streams.deliver.ledger import Ledger
from streams.errors import PermanentError, RetryLater, TransientError
from streams.events import Alert

# Web API errors that may pass by themselves; anything else (invalid_auth,
# channel_not_found, invalid_blocks…) will fail the same way next time.
_TRANSIENT_API_ERRORS = {
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}


class SlackWebhookSender:
    kind = "slack_webhook"

    def __init__(self, name: str, url: str, session: Session, timeout: float) -> None:
        self.name, self._url, self._session, self._timeout = name, url, session, timeout

    def __repr__(self) -> str:
        return f"SlackWebhookSender({self.name!r})"

    def skip_reason(self, alert: Alert) -> str | None:
        if alert.action == "update" and not is_key_change(alert.changes):
            return "incoming webhook: update without a severity or key-figure change"
        return None

    async def _post(self, message: dict[str, Any]) -> str:
        await post(
            self._session,
            self._url,
            orjson.dumps(message),
            json_headers(),
            self._timeout,
            f"slack webhook {self.name}",
        )
        return ""

    async def send(self, alert: Alert) -> str:
        return await self._post(render_slack(alert))

    async def send_digest(self, alerts: Sequence[Alert], reason: str) -> str:
        return await self._post(render_slack_digest(alerts, reason))

    async def close(self) -> None:
        if isinstance(self._session, GuardedSession):
            await self._session.close()


class SlackBotSender:
    kind = "slack_bot"

    def __init__(
        self,
        name: str,
        token: str,
        channel: str,
        api_url: str,
        session: Session,
        timeout: float,
        ledger: Ledger,
    ) -> None:
        self.name, self._token, self.channel, self._api = name, token, channel, api_url
        self._session, self._timeout, self._ledger = session, timeout, ledger
        # Steps of an update already done, so a retry does not reply twice.
        self._replied: set[str] = set()

    def __repr__(self) -> str:
        return f"SlackBotSender({self.name!r}, channel={self.channel!r})"

    def skip_reason(self, alert: Alert) -> str | None:
        return None

    async def call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        resp = await post(
            self._session,
            f"{self._api}/{method}",
            orjson.dumps(payload),
            json_headers({"Authorization": f"Bearer {self._token}"}),
            self._timeout,
            f"slack {method} ({self.name})",
        )
        try:
            data = orjson.loads(resp.body)
        except orjson.JSONDecodeError:
            raise TransientError(f"slack {method} ({self.name}): answer is not JSON") from None
        if not isinstance(data, dict):
            raise TransientError(f"slack {method} ({self.name}): unexpected answer")
        if not data.get("ok"):
            error = str(data.get("error", "unknown_error"))
            msg = f"slack {method} ({self.name}): {error}"
            if error == "ratelimited":
                raise RetryLater(msg)
            if error in _TRANSIENT_API_ERRORS:
                raise TransientError(msg)
            raise PermanentError(msg)
        return data

    async def send(self, alert: Alert) -> str:
        thread = self._ledger.thread(alert.story_id, self.name)
        if alert.action == "update" and thread is not None:
            if alert.alert_id not in self._replied:
                reply = {"channel": thread.channel, "thread_ts": thread.ts, **render_slack(alert)}
                await self.call("chat.postMessage", reply)
                self._replied.add(alert.alert_id)
            # The original shows the story as it stands now, without the "Update:" prefix.
            current = render_slack(dataclasses.replace(alert, action="new"))
            await self.call("chat.update", {"channel": thread.channel, "ts": thread.ts, **current})
            self._replied.discard(alert.alert_id)
            return f"thread {thread.ts}"
        data = await self.call("chat.postMessage", {"channel": self.channel, **render_slack(alert)})
        ts, channel = str(data.get("ts", "")), str(data.get("channel") or self.channel)
        if ts:
            self._ledger.set_thread(alert.story_id, self.name, channel, ts)
        return f"ts {ts}"

    async def send_digest(self, alerts: Sequence[Alert], reason: str) -> str:
        message = {"channel": self.channel, **render_slack_digest(alerts, reason)}
        data = await self.call("chat.postMessage", message)
        return f"digest ts {data.get('ts', '')}"

    async def close(self) -> None:
        if isinstance(self._session, GuardedSession):
            await self._session.close()
