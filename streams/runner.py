"""``newsstream run``: validate, start the broker (unless given one), create topics,
start every service under the supervisor, print one status block, stop cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from streams.broker import ensure_topics, free_port, metadata_ok
from streams.errors import NewsstreamError
from streams.logs import get_logger
from streams.settings import Settings
from streams.supervisor import ChildSpec, Supervisor, newsstream_argv
from streams.topics import DEFAULT_CATEGORIES, topic_specs

log = get_logger("run")

DEMO_ALERTS = Path(__file__).resolve().parent / "demo" / "alerts.yaml"


def validate_config_files(settings: Settings) -> dict[str, Any]:
    """Load every config file once, so a bad one stops start-up before anything runs.

    Returns facts for the status block. Raises ConfigError (file: key: reason).
    """
    from streams.alerts.rules import load_rules
    from streams.ingest.config import load_feeds
    from streams.understand import Analyzer

    facts: dict[str, Any] = {}
    if settings.feeds_file is not None:
        facts["feeds"] = load_feeds(settings.feeds_file)
    analyzer = (
        Analyzer.from_file(settings.taxonomy_file) if settings.taxonomy_file else Analyzer.default()
    )
    facts["categories"] = tuple(c.name for c in analyzer.taxonomy.categories)
    facts["alerts"] = load_rules(settings.alerts_file) if settings.alerts_file else None
    return facts


def demo_feeds_file(settings: Settings, base_url: str) -> Path:
    """Write the feeds file that points the poller at the demo server."""
    from streams.demo.server import feed_path, load_demo

    outlets, _ = load_demo()
    doc = {
        "poller": {"allow_private": ["127.0.0.1"], "per_host_rate": 50, "per_host_concurrency": 8},
        "feeds": [
            {
                "url": base_url + feed_path(o),
                "outlet": o.name,
                "language": o.language,
                "tags": ["demo"],
                "min_interval": 2,
                "max_interval": 5,
            }
            for o in outlets.values()
        ],
    }
    path = Path(settings.data_dir) / "demo-feeds.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise NewsstreamError(f"{what} did not come up within {timeout:.0f}s")
        time.sleep(0.05)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def run_pipeline(settings: Settings, demo_speed: float = 1.0) -> int:
    """Run everything until Ctrl-C/SIGTERM; returns the exit code."""
    facts = validate_config_files(settings)
    env: dict[str, str] = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    specs: list[ChildSpec] = []
    status: list[tuple[str, str]] = []
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env["NEWSSTREAM_DATA_DIR"] = str(data_dir)

    broker_spec: ChildSpec | None = None
    if settings.kafka_bootstrap is None:
        port = settings.broker_port or free_port(settings.broker_host)
        bootstrap = f"{settings.broker_host}:{port}"
        broker_spec = ChildSpec(
            "broker", newsstream_argv("broker", "--host", settings.broker_host, "--port", str(port))
        )
        status.append(
            ("broker", f"embedded Tansu at {bootstrap} (memory-only: gone when it stops)")
        )
        # Tansu: a joining member waits about half its session; keep it short here
        env.setdefault("NEWSSTREAM_SESSION_TIMEOUT_MS", "2000")
        env.setdefault("NEWSSTREAM_HEARTBEAT_INTERVAL_MS", "500")
    else:
        bootstrap = settings.kafka_bootstrap
        status.append(("broker", f"Kafka at {bootstrap}"))
    env["NEWSSTREAM_KAFKA_BOOTSTRAP"] = bootstrap

    if settings.feeds_file is None:
        demo_port = free_port()
        base = f"http://127.0.0.1:{demo_port}"
        specs.append(
            ChildSpec(
                "demo-feeds",
                newsstream_argv("demo-feeds", "--port", str(demo_port), "--speed", str(demo_speed)),
            )
        )
        env["NEWSSTREAM_FEEDS_FILE"] = str(demo_feeds_file(settings, base))
        if settings.alerts_file is None:
            env["NEWSSTREAM_ALERTS_FILE"] = str(DEMO_ALERTS)
        env.setdefault("NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS", '["127.0.0.1"]')
        status.append(("feeds", f"demo: 4 outlets served from {base}/ (our own writing)"))
    else:
        n = len(facts["feeds"].feeds)
        status.append(("feeds", f"{settings.feeds_file}: {n} feeds"))

    gateway_port = settings.gateway_port or free_port()
    env["NEWSSTREAM_GATEWAY_PORT"] = str(gateway_port)
    env["NEWSSTREAM_POLLER_PORT"] = str(settings.poller_port or free_port())
    env["NEWSSTREAM_NOTIFIER_PORT"] = str(settings.notifier_port or free_port())
    for i in range(settings.workers):
        specs.append(ChildSpec(f"worker-{i}", newsstream_argv("worker", "--index", str(i))))
    specs += [
        ChildSpec("poller", newsstream_argv("poller")),
        ChildSpec("notifier", newsstream_argv("notifier")),
        ChildSpec("gateway", newsstream_argv("gateway")),
    ]
    categories = tuple(facts.get("categories") or DEFAULT_CATEGORIES)
    if "other" not in categories:
        categories += ("other",)
    topics = topic_specs(settings, categories)
    status += [
        (
            "topics",
            f"{len(topics)} topics, prefix '{settings.topic_prefix}', "
            f"{settings.partitions} partitions: {settings.topic('articles')} → "
            f"{settings.topic('events')} → {settings.topic('alerts')}",
        ),
        ("workers", str(settings.workers)),
        ("gateway", f"http://{settings.gateway_host}:{gateway_port}/  (live page, SSE, API)"),
        ("alerts to", _destinations(settings)),
        ("data dir", str(data_dir)),
    ]

    stop = {"flag": False}

    def _on_signal(*_: Any) -> None:
        stop["flag"] = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    sup = Supervisor(([broker_spec] if broker_spec else []) + specs, env)
    if broker_spec is not None:
        broker_spec.on_exit = lambda: _on_broker_exit(sup)
        broker_spec.after_restart = lambda: _after_broker_restart(sup, bootstrap, topics, settings)
    try:
        if broker_spec is not None:
            sup._spawn(sup.children[0])
            host, _, p = bootstrap.rpartition(":")
            _wait_for(lambda: metadata_ok(host, int(p)), 20, "the embedded broker")
        asyncio.run(ensure_topics(bootstrap, topics, settings.replication, timeout=60))
        for child in sup.children[1 if broker_spec else 0 :]:
            sup._spawn(child)
        _print_status(status)
        sup.run(until=lambda: stop["flag"])
    finally:
        t0 = time.monotonic()
        sup.stop(timeout=8.0)
        print(f"newsstream stopped in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    return 0


def _on_broker_exit(sup: Supervisor) -> None:
    """The embedded broker died and took every topic, offset and table with it (memory-only).
    Stop the services now: left running, they would write into the new, empty broker before
    its topics exist (auto-created with the wrong partition counts) and replay stale state."""
    log.warning("embedded broker exited: its data is gone; stopping services until it is back")
    sup.stop_others(keep=sup.children[0])


def _after_broker_restart(
    sup: Supervisor, bootstrap: str, topics: list[Any], settings: Settings
) -> None:
    """The embedded broker is back, empty: recreate every topic, then start the services.
    The poller re-polls its feeds; the notifier's ledger (on disk) keeps alerts that were
    already delivered from going out again."""
    host, _, p = bootstrap.rpartition(":")
    _wait_for(lambda: metadata_ok(host, int(p)), 20, "the embedded broker")
    asyncio.run(ensure_topics(bootstrap, topics, settings.replication, timeout=30))
    log.warning("embedded broker restarted empty: topics recreated, services starting again")
    sup.start_others(keep=sup.children[0])


def _destinations(settings: Settings) -> str:
    parts = []
    if settings.alerts_file is None and settings.feeds_file is None:
        parts.append("demo rules")
    if settings.alerts_file:
        parts.append(f"rules in {settings.alerts_file}")
    if settings.slack_bot_token is not None:
        parts.append("Slack (bot token)")
    if settings.slack_webhook_url is not None:
        parts.append("Slack (incoming webhook)")
    if settings.webhook_url is not None:
        parts.append("webhook")
    if not parts:
        parts.append("console (set NEWSSTREAM_SLACK_WEBHOOK_URL for Slack)")
    return ", ".join(parts)


def _print_status(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    lines = ["", "newsstream is running"]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    lines += ["  Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)
