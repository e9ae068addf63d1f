"""From the alerts file and settings to ready senders, with secrets resolved.

Rules may name destinations they do not define: ``console``; ``slack`` (the bot token
and channel, else the incoming webhook, from NEWSSTREAM_SLACK_*); ``webhook``
(NEWSSTREAM_WEBHOOK_URL + NEWSSTREAM_WEBHOOK_SECRET); and ``default``: Slack when it
is configured, else the console. A built-in without its settings falls back to the
console (with a warning), so a fresh checkout still shows its alerts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

from streams.alerts.rules import AlertConfig, DestinationConfig, RateLimit, SecretRef
from streams.deliver.base import Sender
from streams.deliver.console import ConsoleSender
from streams.deliver.ledger import Ledger
from streams.deliver.slack import SlackBotSender, SlackWebhookSender
from streams.deliver.webhook import WebhookSender
from streams.errors import ConfigError
from streams.logs import get_logger
from streams.settings import Settings, secret_value

log = get_logger("deliver")


@dataclass(frozen=True, slots=True)
class ResolvedDestination:
    config: DestinationConfig
    url: str | None = None
    token: str | None = None
    secret: str | None = None

    def __repr__(self) -> str:  # the secrets never reach a log line
        return f"ResolvedDestination({self.config.name!r}, {self.config.type})"


def resolve_secret(ref: SecretRef, file: str, key: str) -> str:
    """The secret's value. The error names the variable or file, never a value."""
    if ref.env:
        value = os.environ.get(ref.env, "").strip()
        if not value:
            raise ConfigError(file, f"{key}_env", f"environment variable {ref.env} is not set")
        return value
    assert ref.file is not None
    try:
        value = Path(ref.file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(file, f"{key}_file", f"cannot read {ref.file}: {exc.strerror}") from None
    if not value:
        raise ConfigError(file, f"{key}_file", f"{ref.file} is empty")
    return value


def _from_file(dest: DestinationConfig, file: str) -> ResolvedDestination:
    at = f"destinations.{dest.name}"
    return ResolvedDestination(
        config=dest,
        url=resolve_secret(dest.url, file, f"{at}.url") if dest.url else None,
        token=resolve_secret(dest.token, file, f"{at}.token") if dest.token else None,
        secret=resolve_secret(dest.secret, file, f"{at}.secret") if dest.secret else None,
    )


def _builtin(name: str, settings: Settings) -> ResolvedDestination | None:
    token, hook = secret_value(settings.slack_bot_token), secret_value(settings.slack_webhook_url)
    if name == "console":
        return ResolvedDestination(DestinationConfig(name="console", type="console"))
    if name in ("slack", "default"):
        if token and settings.slack_channel:
            cfg = DestinationConfig(
                name=name, type="slack_bot", channel=settings.slack_channel, rate=RateLimit()
            )
            return ResolvedDestination(cfg, token=token)
        if hook:
            return ResolvedDestination(
                DestinationConfig(name=name, type="slack_webhook", rate=RateLimit()), url=hook
            )
        if name == "default":
            return ResolvedDestination(DestinationConfig(name="default", type="console"))
        return None
    if name == "webhook":
        url = secret_value(settings.webhook_url)
        if not url:
            return None
        secret = secret_value(settings.webhook_secret)
        if not secret:
            raise ConfigError(
                "environment", "NEWSSTREAM_WEBHOOK_SECRET", "required with NEWSSTREAM_WEBHOOK_URL"
            )
        return ResolvedDestination(
            DestinationConfig(name="webhook", type="webhook", rate=RateLimit()), url, None, secret
        )
    return None


def resolve_destinations(config: AlertConfig, settings: Settings) -> dict[str, ResolvedDestination]:
    """Every destination a rule routes to (plus ``default``), ready to send.

    Raises ConfigError when a destination's secret is missing.
    """
    names = {"default"} | {d for r in config.rules for d in r.destinations}
    out: dict[str, ResolvedDestination] = {}
    for name in sorted(names):
        if name in config.destinations:
            out[name] = _from_file(config.destinations[name], config.file)
            continue
        resolved = _builtin(name, settings)
        if resolved is None:
            log.warning(
                "destination not configured, alerts go to the console",
                extra={"destination": name},
            )
            resolved = ResolvedDestination(DestinationConfig(name=name, type="console"))
        out[name] = resolved
    return out


def make_sender(
    dest: ResolvedDestination,
    session: aiohttp.ClientSession,
    ledger: Ledger,
    stdout: TextIO | None = None,
) -> Sender:
    c = dest.config
    timeout = c.retry.timeout
    if c.type == "slack_webhook" and dest.url:
        return SlackWebhookSender(c.name, dest.url, session, timeout)
    if c.type == "slack_bot" and dest.token and c.channel:
        return SlackBotSender(c.name, dest.token, c.channel, c.api_url, session, timeout, ledger)
    if c.type == "webhook" and dest.url and dest.secret:
        return WebhookSender(c.name, dest.url, dest.secret, session, timeout)
    return ConsoleSender(stdout)
