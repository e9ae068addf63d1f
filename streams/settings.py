"""One settings object, from ``NEWSSTREAM_*`` environment variables (and CLI overrides).

Validated once at start and frozen. Secrets are ``SecretStr``: they print as
``**********`` and never reach a log line. Config files (feeds, taxonomy,
alert rules) are loaded by their own modules; ``validate_config_files`` loads
them all so a bad file stops start-up with ``file: key: reason``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from streams.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSSTREAM_", frozen=True, extra="forbid", secrets_dir=None
    )

    # --- Kafka -----------------------------------------------------------------
    kafka_bootstrap: str | None = Field(
        default=None, description="host:port[,host:port]; unset = start the embedded broker"
    )
    topic_prefix: str = Field(default="newsstream.", pattern=r"^[A-Za-z0-9._-]*$")
    partitions: int = Field(default=4, ge=1, le=1024)
    replication: int = Field(default=1, ge=1, le=16)
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=0, ge=0, le=65535, description="0 = a free port")
    # Idempotent producer: Apache Kafka supports it, the embedded Tansu build does not.
    producer_idempotence: bool = False
    # How long a fetch may wait on the broker. Tansu holds every fetch this long even with
    # data waiting (../shared/BROKER.md), so it is the per-hop latency floor.
    fetch_max_wait_ms: int = Field(default=10, ge=1, le=10_000)
    # The understand stage hands articles to the story stage in batches: at most this
    # many, waiting at most this long for a batch to fill (the latency it may add).
    batch_max: int = Field(default=200, ge=1, le=10_000)
    batch_within_ms: int = Field(default=5, ge=1, le=10_000)
    # The largest understood article the worker passes on: it travels to the story stage
    # and out on `events` as one message, which the broker must accept (Apache Kafka's
    # default message.max.bytes is 1 MiB). Larger ones are dead-lettered with the reason.
    max_item_bytes: int = Field(default=900_000, ge=10_000, le=100_000_000)
    rebalance_timeout_s: float = Field(default=3.0, gt=0, le=600)
    # Group membership. Apache Kafka refuses sessions under 6 s by default; on the embedded
    # broker a joining member waits about half the session, so `run` sets it low there.
    session_timeout_ms: int = Field(default=10_000, ge=500, le=300_000)
    heartbeat_interval_ms: int = Field(default=3_000, ge=100, le=60_000)
    # Faust tables: memory:// for tests, rocksdb:// for production (needs rocksdict).
    table_store: str = "memory://"

    # --- files -----------------------------------------------------------------
    data_dir: Path = Path(".data")
    feeds_file: Path | None = None
    taxonomy_file: Path | None = None
    alerts_file: Path | None = None

    # --- services --------------------------------------------------------------
    workers: int = Field(default=1, ge=1, le=64)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8080, ge=0, le=65535)
    gateway_public_url: str | None = None  # used for WebSub callbacks
    gateway_tokens: list[SecretStr] = Field(default_factory=list)
    worker_web_port: int = Field(default=6066, ge=0, le=65535)
    # /healthz, /readyz, /metrics of the poller and the notifier (0 = a free port, logged)
    health_host: str = "127.0.0.1"
    poller_port: int = Field(default=0, ge=0, le=65535)
    notifier_port: int = Field(default=0, ge=0, le=65535)
    story_window_hours: float = Field(default=72.0, gt=0)
    user_agent: str = "newsstream/0.1 (+https://github.com/newsstream/newsstream)"

    # --- destinations (secrets) ---------------------------------------------------
    slack_webhook_url: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    webhook_url: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    # hosts/CIDRs that destinations may reach although private or loopback (SSRF guard:
    # docs/reliability.md#ssrf); the demo allows its own loopback only
    allow_private_destinations: list[str] = Field(default_factory=list)

    # --- logs --------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        for part in v.split(","):
            host, _, port = part.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{part!r} is not host:port")
        return v.strip()

    # --- derived -------------------------------------------------------------------
    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def embedded(self) -> bool:
        return self.kafka_bootstrap is None


def load_settings(**overrides: object) -> Settings:
    """Settings from env, with CLI overrides (None means 'not given').

    Raises ConfigError naming the variable and the reason.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field, *inner = [str(p) for p in err["loc"]] or [""]
        env = f"NEWSSTREAM_{field.upper()}" if field else "settings"
        where = f"item {'.'.join(inner)}: " if inner else ""
        raise ConfigError("environment", env, where + err["msg"]) from None
    except SettingsError as exc:  # a list/JSON variable that is not JSON
        m = re.search(r'field "(\w+)"', str(exc))
        env = f"NEWSSTREAM_{m.group(1).upper()}" if m else "settings"
        raise ConfigError("environment", env, "not valid JSON (expected a JSON list)") from None


def secret_value(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
