"""Crash a worker (SIGKILL) in the middle of 10,000 articles, and the notifier between
sending and committing: nothing is lost, story decisions hold, and each story reaches
Slack (a real local HTTP server) once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.broker import EmbeddedBroker, ensure_topics, free_port
from streams.events import dumps
from streams.settings import load_settings
from streams.topics import topic_specs
from tests.fakes.fake_slack import FakeSlack
from tests.faults.corpus import build

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(420)]

N = 10_000
HOOK = "/services/T000/B000/crashtest"

ALERTS_YAML = """
destinations:
  slack:
    type: slack_webhook
    url_env: NEWSSTREAM_SLACK_WEBHOOK_URL
    rate: {per_second: 50, burst: 50}
    digest_after: 1000
rules:
  - name: deadly
    categories: [strike]
    figures: {killed: 1}
    destinations: [slack]
"""


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "streams", *cmd],
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Watch:
    """Reads the events and alerts topics from the start, keeps everything."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.events_t, self.alerts_t = f"{prefix}events", f"{prefix}alerts"
        self.consumer = AIOKafkaConsumer(
            self.events_t,
            self.alerts_t,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=20,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        self.events: list[dict] = []
        self.alerts: list[dict] = []

    async def poll(self) -> None:
        for tp, msgs in (await self.consumer.getmany(timeout_ms=200, max_records=5000)).items():
            target = self.events if tp.topic == self.events_t else self.alerts
            target += [orjson.loads(m.value) for m in msgs]

    def article_ids(self) -> set[str]:
        return {e["article"]["article_id"] for e in self.events}


async def test_worker_and_notifier_crash_lose_nothing_and_alert_once(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    corpus = build(N)
    settings = load_settings(topic_prefix=topic_prefix, kafka_bootstrap=broker.bootstrap)
    await ensure_topics(broker.bootstrap, topic_specs(settings))
    alerts_file = tmp_path / "alerts.yaml"
    alerts_file.write_text(ALERTS_YAML)
    async with FakeSlack() as slack:
        env = dict(
            os.environ,
            NEWSSTREAM_KAFKA_BOOTSTRAP=broker.bootstrap,
            NEWSSTREAM_TOPIC_PREFIX=topic_prefix,
            NEWSSTREAM_DATA_DIR=str(tmp_path / "data"),
            NEWSSTREAM_ALERTS_FILE=str(alerts_file),
            NEWSSTREAM_SLACK_WEBHOOK_URL=slack.url + HOOK,
            NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS='["127.0.0.1"]',
            NEWSSTREAM_SESSION_TIMEOUT_MS="2000",
            NEWSSTREAM_HEARTBEAT_INTERVAL_MS="500",
            NEWSSTREAM_WORKER_WEB_PORT=str(free_port()),
        )
        worker = spawn(["worker"], env, tmp_path / "worker-a.log")
        notifier = spawn(["notifier"], env, tmp_path / "notifier-a.log")
        watch = Watch(broker.bootstrap, topic_prefix)
        await watch.consumer.start()
        try:
            producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=20)
            await producer.start()
            try:
                for art in corpus.articles:
                    await producer.send(
                        f"{topic_prefix}articles", dumps(art), key=art.article_id.encode()
                    )
                await producer.flush()
            finally:
                await producer.stop()

            # kill the worker once it is well into the stream
            deadline = time.monotonic() + 120
            # (and once it has raised an alert, so the notifier has something to crash on)
            while len(watch.events) < N // 4 or not watch.alerts:
                assert time.monotonic() < deadline, "worker made no progress"
                assert worker.poll() is None, (tmp_path / "worker-a.log").read_text()[-3000:]
                await watch.poll()
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed_at = len(watch.events)

            # kill the notifier right after a post reaches Slack (sent, likely not committed)
            await slack.wait_for(HOOK, 1, timeout=60)
            notifier.send_signal(signal.SIGKILL)
            notifier.wait()

            env["NEWSSTREAM_WORKER_WEB_PORT"] = str(free_port())
            worker = spawn(["worker"], env, tmp_path / "worker-b.log")
            notifier = spawn(["notifier"], env, tmp_path / "notifier-b.log")
            deadline = time.monotonic() + 240
            while len(watch.article_ids()) < N:
                assert time.monotonic() < deadline, (
                    f"only {len(watch.article_ids())} of {N} articles reached the events topic"
                )
                await watch.poll()
            labels = corpus.strike_stories
            await slack.wait_for(HOOK, len(labels), timeout=60)
            await asyncio.sleep(3)  # a duplicate post would arrive now
            await watch.poll()
        finally:
            stop(worker)
            stop(notifier)
            await watch.consumer.stop()

        assert killed_at < N, "the crash happened mid-stream"
        stories_of: dict[str, set[str]] = defaultdict(set)
        for e in watch.events:
            stories_of[e["article"]["article_id"]].add(e["story_id"])
        assert len(stories_of) == N, "every article reached the enriched topic"
        changed = {a: s for a, s in stories_of.items() if len(s) > 1}
        assert not changed, f"story decisions changed on replay: {list(changed.items())[:3]}"
        for label, ids in labels.items():
            assert len({next(iter(stories_of[i])) for i in ids}) == 1, f"{label} split"

        story_ids = {next(iter(stories_of[ids[0]])) for ids in labels.values()}
        # the alerts topic is at-least-once: a replay may repeat a message, with the same
        # alert_id (the notifier's ledger absorbs it); a second *different* alert is the bug
        new_alerts: dict[str, int] = defaultdict(int)
        for a in {a["alert_id"]: a for a in watch.alerts}.values():
            if a["action"] == "new":
                new_alerts[a["story_id"]] += 1
        assert {s: new_alerts[s] for s in story_ids} == dict.fromkeys(story_ids, 1)

        posts = [r.body for r in slack.to(HOOK, status=200)]
        assert len(posts) == len(set(posts)), "no Slack message was posted twice"
        for sid in story_ids:
            assert any(sid.encode() in p for p in posts), f"story {sid} never reached Slack"


async def test_second_worker_joins_and_leaves_mid_stream(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    corpus = build(N, seed=11)
    settings = load_settings(topic_prefix=topic_prefix, kafka_bootstrap=broker.bootstrap)
    await ensure_topics(broker.bootstrap, topic_specs(settings))
    alerts_file = tmp_path / "alerts.yaml"
    alerts_file.write_text(ALERTS_YAML.replace("type: slack_webhook", "type: console"))
    env = dict(
        os.environ,
        NEWSSTREAM_KAFKA_BOOTSTRAP=broker.bootstrap,
        NEWSSTREAM_TOPIC_PREFIX=topic_prefix,
        NEWSSTREAM_DATA_DIR=str(tmp_path / "data"),
        NEWSSTREAM_ALERTS_FILE=str(alerts_file),
        NEWSSTREAM_SESSION_TIMEOUT_MS="2000",
        NEWSSTREAM_HEARTBEAT_INTERVAL_MS="500",
    )
    first = spawn(
        ["worker", "--index", "0"],
        env | {"NEWSSTREAM_WORKER_WEB_PORT": str(free_port())},
        tmp_path / "w0.log",
    )
    second: subprocess.Popen[bytes] | None = None
    watch = Watch(broker.bootstrap, topic_prefix)
    await watch.consumer.start()
    try:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=20)
        await producer.start()
        try:
            for art in corpus.articles:
                await producer.send(
                    f"{topic_prefix}articles", dumps(art), key=art.article_id.encode()
                )
            await producer.flush()
        finally:
            await producer.stop()
        deadline = time.monotonic() + 300
        joined_at = left_at = None
        while len(watch.article_ids()) < N:
            assert time.monotonic() < deadline, f"{len(watch.article_ids())} of {N} arrived"
            assert first.poll() is None, (tmp_path / "w0.log").read_text()[-3000:]
            await watch.poll()
            seen = len(watch.events)
            if second is None and seen >= N // 5:
                second = spawn(
                    ["worker", "--index", "1"],
                    env | {"NEWSSTREAM_WORKER_WEB_PORT": str(free_port())},
                    tmp_path / "w1.log",
                )
                joined_at = seen
            elif second is not None and left_at is None and seen >= N // 2:
                stop(second)  # a clean leave: SIGTERM
                left_at = seen
        await asyncio.sleep(3)
        await watch.poll()
        assert first.poll() is None, "the first worker kept running through both rebalances"
    finally:
        stop(first)
        if second is not None:
            stop(second)
        await watch.consumer.stop()

    assert joined_at is not None and left_at is not None and left_at < N
    stories_of: dict[str, set[str]] = defaultdict(set)
    for e in watch.events:
        stories_of[e["article"]["article_id"]].add(e["story_id"])
    assert len(stories_of) == N
    assert not [a for a, s in stories_of.items() if len(s) > 1], "decisions changed"
    story_ids = {next(iter(stories_of[ids[0]])) for ids in corpus.strike_stories.values()}
    new_alerts: dict[str, int] = defaultdict(int)
    for a in {a["alert_id"]: a for a in watch.alerts}.values():  # at-least-once: by id
        if a["action"] == "new":
            new_alerts[a["story_id"]] += 1
    assert {s: new_alerts[s] for s in story_ids} == dict.fromkeys(story_ids, 1)
    assert all(n == 1 for n in new_alerts.values()), "no story alerted twice"
