"""Alert rules and destinations: the shape of config/alerts.yaml, validated. Pure (no I/O
but reading the file).

A mistake in the file raises ``ConfigError(file, key, reason)`` with keys such as
``rules[1].min_severity`` or ``destinations.slack.url_env``, so start-up prints one line
instead of a traceback. Secrets are never inline: a destination names an environment
variable (``url_env``) or a secret file (``url_file``); the notifier resolves them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from streams.alerts.reader import Reader as _Reader
from streams.config_file import read_yaml
from streams.errors import ConfigError

DestinationType = Literal["slack_webhook", "slack_bot", "webhook", "console"]
DESTINATION_TYPES: tuple[str, ...] = ("slack_webhook", "slack_bot", "webhook", "console")
# Names a rule may use without defining them: the notifier builds them from settings.
BUILTIN_DESTINATIONS = ("default", "console", "slack", "webhook")
SLACK_API_URL = "https://slack.com/api"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret lives: an environment variable or a file (e.g. a Docker secret)."""

    env: str | None = None
    file: str | None = None

    def describe(self) -> str:
        return f"${self.env}" if self.env else f"file {self.file}"


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_second: float = 1.0  # Slack asks for about one message per second per channel
    burst: int = 3


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 8  # 1+2+4+…+60 s: rides out an outage of about two minutes
    initial: float = 1.0  # first backoff, doubled each retry
    maximum: float = 60.0
    timeout: float = 10.0  # per HTTP request
    max_retry_after: float = 300.0  # we honour Retry-After up to this


@dataclass(frozen=True, slots=True)
class DestinationConfig:
    name: str
    type: DestinationType
    url: SecretRef | None = None  # slack_webhook, webhook
    token: SecretRef | None = None  # slack_bot
    secret: SecretRef | None = None  # webhook signing key
    channel: str | None = None  # slack_bot
    api_url: str = SLACK_API_URL
    rate: RateLimit | None = None  # None: no limit (console)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    digest_after: int = 10  # a backlog of this many alerts goes out as one digest
    # hosts/IPs/CIDRs this destination may reach although private (streams/net.py)
    allow_private: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Throttle:
    max_alerts: int
    per: float  # seconds


@dataclass(frozen=True, slots=True)
class Rule:
    """Every condition given must hold (AND); inside a list any item may match (OR).
    Several rules are alternatives: the first that matches names the alert."""

    name: str
    categories: tuple[str, ...] = ()
    min_score: float = 0.0
    min_severity: int = 0
    figures: tuple[tuple[str, float], ...] = ()  # (kind, minimum): killed >= 1
    countries: tuple[str, ...] = ()  # ISO codes, upper case
    places: tuple[str, ...] = ()  # casefolded names
    keywords: tuple[str, ...] = ()  # casefolded
    exclude_keywords: tuple[str, ...] = ()
    min_sources: int = 0
    outlets: tuple[str, ...] = ()  # casefolded
    destinations: tuple[str, ...] = ("default",)
    throttle: Throttle | None = None
    digest: bool = True  # throttled alerts go out as one digest (False: they are dropped)


@dataclass(frozen=True, slots=True)
class AlertConfig:
    rules: tuple[Rule, ...]
    destinations: dict[str, DestinationConfig]
    file: str = "<built-in>"

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def default_config() -> AlertConfig:
    """What runs without an alerts file: every severe story, to the default destination."""
    return AlertConfig(rules=(Rule(name="severe", min_severity=3),), destinations={})


def load_rules(path: Path | str) -> AlertConfig:
    """Read and validate an alerts file. Raises ConfigError(file, key, reason)."""
    file = str(path)
    data = read_yaml(path)
    return parse_rules(data, file)


def parse_rules(data: Any, file: str = "<memory>") -> AlertConfig:
    r = _Reader(file)
    if data is None:
        data = {}
    top = r.mapping(data, "", {"rules", "destinations"})
    destinations = {}
    for name, raw in r.mapping(top.get("destinations") or {}, "destinations").items():
        destinations[str(name)] = _destination(r, str(name), raw)
    known = set(destinations) | set(BUILTIN_DESTINATIONS)
    rules: list[Rule] = []
    raw_rules = top.get("rules")
    if raw_rules is None:
        raise ConfigError(file, "rules", "required: a list of rules")
    if not isinstance(raw_rules, list):
        raise ConfigError(file, "rules", "must be a list")
    for i, raw in enumerate(raw_rules):
        rule = _rule(r, f"rules[{i}]", raw, known)
        if any(x.name == rule.name for x in rules):
            raise ConfigError(file, f"rules[{i}].name", f"duplicate rule name {rule.name!r}")
        rules.append(rule)
    return AlertConfig(rules=tuple(rules), destinations=destinations, file=file)


_RULE_KEYS = {
    "name", "categories", "min_score", "min_severity", "figures", "countries", "places",
    "keywords", "exclude_keywords", "min_sources", "outlets", "destinations", "throttle", "digest",
}  # fmt: skip


def _rule(r: _Reader, at: str, raw: Any, known: set[str]) -> Rule:
    d = r.mapping(raw, at, _RULE_KEYS)
    name = r.string(d, "name", at, required=True)
    figures = []
    for kind, minimum in r.mapping(d.get("figures") or {}, f"{at}.figures").items():
        figures.append((str(kind), r.number(minimum, f"{at}.figures.{kind}", low=0)))
    dests = tuple(r.strings(d, "destinations", at)) or ("default",)
    for j, dest in enumerate(dests):
        if dest not in known:
            raise ConfigError(r.file, f"{at}.destinations[{j}]", f"unknown destination {dest!r}")
    throttle = None
    if d.get("throttle") is not None:
        t = r.mapping(d["throttle"], f"{at}.throttle", {"max", "per"})
        throttle = Throttle(
            max_alerts=int(r.number(t.get("max"), f"{at}.throttle.max", low=1)),
            per=r.duration(t.get("per"), f"{at}.throttle.per"),
        )
    digest = d.get("digest", True)
    if not isinstance(digest, bool):
        raise ConfigError(r.file, f"{at}.digest", "must be true or false")
    return Rule(
        name=name,
        categories=tuple(r.strings(d, "categories", at)),
        min_score=r.number(d.get("min_score", 0.0), f"{at}.min_score", low=0, high=1),
        min_severity=int(r.number(d.get("min_severity", 0), f"{at}.min_severity", low=0, high=10)),
        figures=tuple(figures),
        countries=tuple(c.upper() for c in r.strings(d, "countries", at)),
        places=tuple(p.casefold() for p in r.strings(d, "places", at)),
        keywords=tuple(k.casefold() for k in r.strings(d, "keywords", at)),
        exclude_keywords=tuple(k.casefold() for k in r.strings(d, "exclude_keywords", at)),
        min_sources=int(r.number(d.get("min_sources", 0), f"{at}.min_sources", low=0)),
        outlets=tuple(o.casefold() for o in r.strings(d, "outlets", at)),
        destinations=dests,
        throttle=throttle,
        digest=digest,
    )


_DEST_KEYS = {
    "type", "url", "url_env", "url_file", "token", "token_env", "token_file", "secret",
    "secret_env", "secret_file", "channel", "api_url", "rate", "retry", "digest_after",
    "allow_private",
}  # fmt: skip


def _destination(r: _Reader, name: str, raw: Any) -> DestinationConfig:
    at = f"destinations.{name}"
    d = r.mapping(raw, at, _DEST_KEYS)
    kind = r.string(d, "type", at, required=True)
    if kind not in DESTINATION_TYPES:
        raise ConfigError(r.file, f"{at}.type", f"must be one of {', '.join(DESTINATION_TYPES)}")
    url = r.secret(d, "url", at, required=kind in ("slack_webhook", "webhook"))
    token = r.secret(d, "token", at, required=kind == "slack_bot")
    secret = r.secret(d, "secret", at, required=kind == "webhook")
    channel = r.string(d, "channel", at, required=kind == "slack_bot") or None
    rate: RateLimit | None = None if kind == "console" else RateLimit()
    if d.get("rate") is not None:
        rd = r.mapping(d["rate"], f"{at}.rate", {"per_second", "burst"})
        rate = RateLimit(
            per_second=r.number(rd.get("per_second", 1.0), f"{at}.rate.per_second", low=0.001),
            burst=int(r.number(rd.get("burst", 3), f"{at}.rate.burst", low=1)),
        )
    retry = RetryPolicy()
    if d.get("retry") is not None:
        keys = {"attempts", "initial", "max", "timeout", "max_retry_after"}
        rd = r.mapping(d["retry"], f"{at}.retry", keys)
        retry = RetryPolicy(
            attempts=int(r.number(rd.get("attempts", retry.attempts), f"{at}.retry.attempts", 1)),
            initial=r.duration(rd.get("initial", retry.initial), f"{at}.retry.initial"),
            maximum=r.duration(rd.get("max", retry.maximum), f"{at}.retry.max"),
            timeout=r.duration(rd.get("timeout", retry.timeout), f"{at}.retry.timeout"),
            max_retry_after=r.duration(
                rd.get("max_retry_after", retry.max_retry_after), f"{at}.retry.max_retry_after"
            ),
        )
    return DestinationConfig(
        name=name,
        type=cast(DestinationType, kind),
        url=url,
        token=token,
        secret=secret,
        channel=channel,
        api_url=(r.string(d, "api_url", at) or SLACK_API_URL).rstrip("/"),
        rate=rate,
        retry=retry,
        digest_after=int(r.number(d.get("digest_after", 10), f"{at}.digest_after", low=2)),
        allow_private=tuple(r.strings(d, "allow_private", at)),
    )


class RuleSet:
    """The current rules of a file, reloaded when the file changes (by mtime).

    A broken edit keeps the previous rules: ``last_error`` says why the reload failed.
    """

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path is not None else None
        self.last_error: ConfigError | None = None
        self._mtime = self._stat()
        self.config = load_rules(self.path) if self.path is not None else default_config()

    def _stat(self) -> float | None:
        if self.path is None:
            return None
        try:
            return os.stat(self.path).st_mtime_ns / 1e9
        except OSError:
            return None

    def reload_if_changed(self) -> bool:
        """Reload when the file's mtime moved; True when new rules are in force."""
        mtime = self._stat()
        if self.path is None or mtime is None or mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            self.config = load_rules(self.path)
        except ConfigError as exc:
            self.last_error = exc
            return False
        self.last_error = None
        return True
