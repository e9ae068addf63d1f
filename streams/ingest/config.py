"""The feeds file: which feeds to poll and how the poller behaves (validated once per load).

YAML::

    poller:                 # optional, every key has a default
      user_agent: "..."
      per_host_concurrency: 2
      per_host_rate: 1.0    # requests per second per host
      ...
    feeds:
      - url: https://feeds.bbci.co.uk/news/world/rss.xml
        outlet: BBC News
        tags: [world]
        ...

A bad file raises ``ConfigError(file, key, reason)`` with keys like ``feeds[2].url``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from streams.config_file import read_yaml
from streams.errors import ConfigError


class FeedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    outlet: str = ""
    tags: list[str] = Field(default_factory=list)
    language: str | None = None
    min_interval: float = Field(default=60.0, ge=1, le=7 * 86400, description="seconds")
    max_interval: float = Field(default=3600.0, ge=1, le=7 * 86400, description="seconds")
    enabled: bool = True
    weight: float = Field(default=1.0, gt=0, le=100, description="source weight downstream")
    websub: bool = True  # subscribe when the feed names a hub

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        return v

    @model_validator(mode="after")
    def _bounds(self) -> FeedConfig:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval must not exceed max_interval")
        return self

    def display_name(self) -> str:
        return self.outlet or (urlsplit(self.url).hostname or self.url)


class PollerOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str | None = None  # None: settings.user_agent
    concurrency: int = Field(default=64, ge=1, le=4096, description="fetches in flight")
    per_host_concurrency: int = Field(default=4, ge=1, le=256)
    per_host_rate: float = Field(default=5.0, gt=0, le=1_000_000, description="requests/s per host")
    connect_timeout: float = Field(default=10.0, gt=0, le=300)
    read_timeout: float = Field(default=20.0, gt=0, le=600)
    total_timeout: float = Field(default=60.0, gt=0, le=3600)
    max_body_bytes: int = Field(default=10 * 2**20, ge=1024, description="on the wire")
    max_decompressed_bytes: int = Field(default=40 * 2**20, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    allow_private: list[str] = Field(
        default_factory=list, description="hosts or CIDRs allowed although private/loopback"
    )
    max_backoff: float = Field(default=6 * 3600.0, ge=60, description="cap on error backoff")
    remember_items: int = Field(default=2000, ge=50, le=100_000)
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    reload_interval: float = Field(default=5.0, gt=0, description="feeds file mtime check, s")
    status_interval: float = Field(default=10.0, gt=0, description="feeds-status.json, s")
    websub_listen: str | None = Field(default=None, description="host:port for the callback app")
    websub_public_url: str | None = None  # None: settings.gateway_public_url
    websub_lease_seconds: int = Field(default=86400, ge=60)

    @field_validator("allow_private")
    @classmethod
    def _allow(cls, v: list[str]) -> list[str]:
        # the same rules as streams.net.parse_allow_entry, kept here so config stays pure
        for entry in v:
            e = entry.strip()
            if "/" in e:
                try:
                    ipaddress.ip_network(e, strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not a CIDR") from None
                continue
            try:
                ipaddress.ip_address(e.strip("[]"))
            except ValueError:
                if not e or any(c.isspace() or c in ":@?#" for c in e):
                    raise ValueError(f"{entry!r} is not a host name, IP or CIDR") from None
        return v

    @field_validator("websub_listen")
    @classmethod
    def _listen(cls, v: str | None) -> str | None:
        if v is None:
            return None
        host, _, port = v.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{v!r} is not host:port")
        return v


class FeedsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    poller: PollerOptions = Field(default_factory=PollerOptions)
    feeds: list[FeedConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> FeedsConfig:
        seen: dict[str, int] = {}
        for i, f in enumerate(self.feeds):
            if f.url in seen:
                raise ValueError(f"feeds[{i}].url duplicates feeds[{seen[f.url]}].url")
            seen[f.url] = i
        return self


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_feeds(data: Any, file: str = "<feeds>") -> FeedsConfig:
    """Validate an already-loaded YAML document."""
    if data is None:
        data = {}
    if isinstance(data, list):  # a bare list of feeds is accepted too
        data = {"feeds": data}
    if not isinstance(data, dict):
        raise ConfigError(file, "", "expected a mapping with 'feeds' (and optionally 'poller')")
    try:
        return FeedsConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        key = _key(tuple(err["loc"]))
        if not key and msg.startswith("feeds["):  # the duplicate check names its own key
            key, _, msg = msg.partition(" ")
        return _raise(file, key or "feeds", msg)


def _raise(file: str, key: str, reason: str) -> FeedsConfig:
    raise ConfigError(file, key, reason)


def load_feeds(path: str | Path) -> FeedsConfig:
    """Read and validate a feeds file. Raises ConfigError(file, key, reason)."""
    p = Path(path)
    data = read_yaml(p)
    return parse_feeds(data, str(p))
