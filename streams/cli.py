"""The ``newsstream`` command. Each subcommand imports what it needs lazily, so
``newsstream classify`` does not pay for faust and ``newsstream run`` starts fast.

A mistake in config or input prints ``error: file: key: reason`` and exits 2;
it never shows a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from streams.errors import ConfigError, NewsstreamError
from streams.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Turn our errors into one line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except NewsstreamError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _settings(**overrides: Any) -> Settings:
    from streams import logs

    s = load_settings(**overrides)
    logs.configure(s.log_level, s.log_format)
    return s


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """newsstream: live news feeds in, deduplicated, classified alerts out."""


bootstrap_opt = click.option(
    "--bootstrap", default=None, help="Kafka bootstrap servers (default: embedded broker)."
)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=9092, show_default=True)
@friendly_errors
def broker(host: str, port: int) -> None:
    """Run the embedded (memory-only) Tansu broker in the foreground."""
    import signal
    import time

    from streams.broker import EmbeddedBroker

    _settings()
    b = EmbeddedBroker(host, port)
    b.start()
    click.echo(f"broker ready on {b.bootstrap} (memory-only: data is gone when it stops)")

    def _stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        while b.proc is not None and b.proc.poll() is None:
            time.sleep(0.5)
        raise NewsstreamError(f"broker exited with code {b.proc.returncode if b.proc else '?'}")
    except KeyboardInterrupt:
        pass
    finally:
        b.stop()


@cli.command()
@bootstrap_opt
@click.option("--partitions", type=int, default=None)
@friendly_errors
def topics(bootstrap: str | None, partitions: int | None) -> None:
    """Create every topic we use (idempotent)."""
    from streams.broker import ensure_topics
    from streams.topics import topic_specs

    s = _settings(kafka_bootstrap=bootstrap, partitions=partitions)
    if s.kafka_bootstrap is None:
        raise ConfigError("command line", "--bootstrap", "required for `topics`")
    created = asyncio.run(ensure_topics(s.kafka_bootstrap, topic_specs(s), s.replication))
    for spec in topic_specs(s):
        mark = "created" if spec.name in created else "exists"
        click.echo(f"{spec.name:40} {spec.partitions:>3}  {mark}")


def main() -> None:
    from streams import commands  # noqa: F401  (registers the remaining subcommands)

    cli()


__all__ = ["Path", "bootstrap_opt", "cli", "friendly_errors", "main"]
