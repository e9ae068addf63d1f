"""The whole pipeline as a user runs it: `newsstream run` on the bundled demo, with its own
embedded broker, demo feed server, poller, worker, notifier and gateway processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from streams.broker import free_port, metadata_ok
from streams.demo.server import load_demo
from tests.fakes.fake_slack import FakeSlack
from tests.helpers import descendants, validate

pytestmark = pytest.mark.integration

STRIKE_IDS = {"nl-izhevsk-strike", "mw-izhevsk-strike", "hd-izhevsk-strike"}


def demo_id(event: dict) -> str:
    """The demo article id is the last path segment of the article's URL."""
    return event["article"]["url"].rsplit("/", 1)[-1].split("?")[0]


async def collect(bootstrap: str, prefix: str, want: set[str], timeout: float) -> tuple[list, list]:
    consumer = AIOKafkaConsumer(
        f"{prefix}events",
        f"{prefix}alerts",
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
    )
    await consumer.start()
    events: list[dict] = []
    alerts: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, msgs in batch.items():
                for m in msgs:
                    doc = orjson.loads(m.value)
                    (events if tp.topic.endswith("events") else alerts).append(doc)
            seen = {demo_id(e) for e in events}
            strike_stories = {e["story_id"] for e in events if demo_id(e) in STRIKE_IDS}
            alerted = {a["story_id"] for a in alerts}
            if want <= seen and strike_stories and strike_stories <= alerted:
                await asyncio.sleep(3)  # linger: a duplicate alert would show up now
                for tp, msgs in (await consumer.getmany(timeout_ms=500)).items():
                    for m in msgs:
                        doc = orjson.loads(m.value)
                        (events if tp.topic.endswith("events") else alerts).append(doc)
                break
    finally:
        await consumer.stop()
    return events, alerts


async def test_demo_pipeline_end_to_end(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as slack:
        secret_hook = slack.webhook_url("Zq9SECRETHOOKPATH")
        env = dict(
            os.environ,
            NEWSSTREAM_BROKER_PORT=str(port),
            NEWSSTREAM_DATA_DIR=str(tmp_path / "data"),
            NEWSSTREAM_GATEWAY_PORT=str(free_port()),
            NEWSSTREAM_WORKER_WEB_PORT=str(free_port()),
            NEWSSTREAM_TOPIC_PREFIX="e2e.",
            NEWSSTREAM_SLACK_WEBHOOK_URL=secret_hook,
            # the fake Slack listens on loopback, which destinations may not reach by default
            NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS='["127.0.0.1"]',
            NEWSSTREAM_GATEWAY_TOKENS='["gw-Tok3nSECRETVALUE"]',
            NEWSSTREAM_LOG_LEVEL="DEBUG",
        )
        log_path = tmp_path / "run.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streams", "run", "--demo-speed", "10"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        family: list[int] = []
        try:
            deadline = time.monotonic() + 30
            while not metadata_ok("127.0.0.1", port):
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "embedded broker never came up"
                await asyncio.sleep(0.1)
            _, articles = load_demo()
            want = {a.id for a in articles}
            events, alerts = await collect(f"127.0.0.1:{port}", "e2e.", want, timeout=120)
            output = log_path.read_text(errors="replace")

            seen = {demo_id(e) for e in events}
            assert want <= seen, f"missing enriched events for {want - seen}\n{output[-4000:]}"
            for doc in events:
                validate("enriched_event", doc)
            for doc in alerts:
                validate("alert", doc)

            by_id = {demo_id(e): e for e in events}
            strike_stories = {by_id[i]["story_id"] for i in STRIKE_IDS}
            assert len(strike_stories) == 1, "the three outlets' copies must be one story"
            (story,) = strike_stories
            assert by_id["nl-bryansk-depot"]["story_id"] != story, "another strike, another story"
            new_alerts = [a for a in alerts if a["story_id"] == story and a["action"] == "new"]
            assert len(new_alerts) == 1, f"exactly one alert for the story, got {len(new_alerts)}"
            assert "strike" in {c["name"] for c in by_id["nl-izhevsk-strike"]["categories"]}
            assert not by_id["cp-carplant-strike"]["categories"], "a labour strike is no strike"

            # Slack (a real local HTTP server) got the story's alert once, as a new message
            await slack.wait_for("/services/T000/B000/Zq9SECRETHOOKPATH", 1, timeout=20)
            posts = [r.json() for r in slack.to("/services/T000/B000/Zq9SECRETHOOKPATH")]
            about_story = [p for p in posts if story in str(p)]
            assert about_story, "the strike story reached Slack"
            assert new_alerts[0]["headline"] in str(about_story[0])
            assert len({str(p) for p in posts}) == len(posts), "no message posted twice"
            for secret in ("Zq9SECRETHOOKPATH", "gw-Tok3nSECRETVALUE"):
                assert secret not in output, "secrets never reach a log line, even at DEBUG"

            family = descendants(proc.pid)
            assert len(family) >= 7, f"broker, demo, worker, poller, notifier, gateway: {family}"
        finally:
            t0 = time.monotonic()
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            while proc.poll() is None and time.monotonic() - t0 < 15:
                await asyncio.sleep(0.05)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                raise AssertionError("`newsstream run` did not stop within 15 s")
            stopped_in = time.monotonic() - t0
    assert stopped_in < 10, f"shutdown took {stopped_in:.1f}s"
    await asyncio.sleep(0.2)
    left = [pid for pid in family if _alive(pid)]
    assert not left, f"processes left behind: {left}"
    assert not metadata_ok("127.0.0.1", port)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
