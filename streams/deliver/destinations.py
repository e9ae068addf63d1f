"""From the alerts file and settings to ready senders, with secrets resolved.

Rules may name destinations they do not define: ``console``; ``slack`` (the bot token
and channel, else the incoming webhook, from NEWSSTREAM_SLACK_*); ``webhook``
(NEWSSTREAM_WEBHOOK_URL + NEWSSTREAM_WEBHOOK_SECRET); and ``default``: Slack when it
is configured, else the console. A built-in without its settings falls back to the
console (with a warning), so a fresh checkout still shows its alerts.

Addresses: every HTTP destination gets its own ``GuardedSession`` (streams/net.py).
Private, loopback and link-local targets are refused unless allowed — for every
destination by ``NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS`` (a JSON list of hosts, IPs
or CIDRs), or for one destination by its ``allow_private`` list in the alerts file.
A URL that is an IP literal outside the policy stops start-up with ``ConfigError``; a
name resolving to such an address fails each delivery with ``BlockedAddress``
(dead-lettered, never retried).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp
import orjson

from streams.alerts.rules import AlertConfig, DestinationConfig, RateLimit, SecretRef
from streams.deliver.base import Sender
from streams.deliver.console import ConsoleSender
from streams.deliver.http import GuardedSession
from streams.deliver.ledger import Ledger
from streams.deliver.slack import SlackBotSender, SlackWebhookSender
from streams.deliver.webhook import WebhookSender
from streams.errors import ConfigError, PermanentError
from streams.logs import get_logger
from streams.net import AddressPolicy, parse_allow_entry
from streams.settings import Settings, secret_value

log = get_logger("deliver")

ALLOW_ENV = "NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS"
_ENV_KEYS = {"slack_webhook": "NEWSSTREAM_SLACK_WEBHOOK_URL", "webhook": "NEWSSTREAM_WEBHOOK_URL"}


@dataclass(frozen=True, slots=True)
class ResolvedDestination:
    config: DestinationConfig
    url: str | None = None
    token: str | None = None
    secret: str | None = None
    allow_private: tuple[str, ...] = ()  # the settings' list plus the destination's own

    def policy(self) -> AddressPolicy:
        return AddressPolicy(self.allow_private)

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


def allowed_private(settings: Settings) -> tuple[str, ...]:
    """Hosts/IPs/CIDRs every destination may reach although private.

    From ``settings.allow_private_destinations`` when Settings has that field, else
    from the environment variable itself (same name, same format).
    """
    value = getattr(settings, "allow_private_destinations", None)
    if value is None:
        raw = os.environ.get(ALLOW_ENV, "").strip()
        if raw.startswith("["):
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise ConfigError("environment", ALLOW_ENV, "not a JSON list") from None
        else:
            value = [v for v in raw.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError("environment", ALLOW_ENV, "must be a list of hosts, IPs or CIDRs")
    try:
        return tuple(parse_allow_entry(v) for v in value)
    except ValueError as exc:
        raise ConfigError("environment", ALLOW_ENV, str(exc)) from None


def _with_policy(
    dest: ResolvedDestination, common: tuple[str, ...], file: str
) -> ResolvedDestination:
    """The destination with its allow list, its URLs checked against it."""
    at = f"destinations.{dest.config.name}"
    try:
        own = tuple(parse_allow_entry(v) for v in dest.config.allow_private)
    except ValueError as exc:
        raise ConfigError(file, f"{at}.allow_private", str(exc)) from None
    out = dataclasses.replace(dest, allow_private=common + own)
    policy = out.policy()
    targets = (
        {"url": dest.url} if dest.config.type != "slack_bot" else {"api_url": dest.config.api_url}
    )
    for key, url in targets.items():
        if not url:
            continue
        try:
            policy.check_url(url)
        except PermanentError as exc:
            name = _ENV_KEYS.get(dest.config.type) if file == "environment" else None
            raise ConfigError(file, name or f"{at}.{key}", str(exc)) from None
    return out


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
    common = allowed_private(settings)
    out: dict[str, ResolvedDestination] = {}
    for name in sorted(names):
        if name in config.destinations:
            dest = _from_file(config.destinations[name], config.file)
            out[name] = _with_policy(dest, common, config.file)
            continue
        resolved = _builtin(name, settings)
        if resolved is None:
            log.warning(
                "destination not configured, alerts go to the console",
                extra={"destination": name},
            )
            resolved = ResolvedDestination(DestinationConfig(name=name, type="console"))
        out[name] = _with_policy(resolved, common, "environment")
    return out


def make_sender(
    dest: ResolvedDestination,
    session: aiohttp.ClientSession | None,
    ledger: Ledger,
    stdout: TextIO | None = None,
) -> Sender:
    """The sender for a destination. HTTP senders do not use ``session``: each opens its
    own GuardedSession with the destination's address policy; ``close()`` closes it."""
    c = dest.config
    timeout = c.retry.timeout
    if c.type in ("slack_webhook", "slack_bot", "webhook"):
        guarded = GuardedSession(dest.policy())
    if c.type == "slack_webhook" and dest.url:
        return SlackWebhookSender(c.name, dest.url, guarded, timeout)
    if c.type == "slack_bot" and dest.token and c.channel:
        return SlackBotSender(c.name, dest.token, c.channel, c.api_url, guarded, timeout, ledger)
    if c.type == "webhook" and dest.url and dest.secret:
        return WebhookSender(c.name, dest.url, dest.secret, guarded, timeout)
    return ConsoleSender(stdout)
