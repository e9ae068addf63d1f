"""`newsstream run` with JSON logs: every service answers /healthz, /readyz and /metrics,
and one demo article can be followed by its article_id from the poller to Slack."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from streams.broker import free_port, metadata_ok
from tests.fakes.fake_slack import FakeSlack

pytestmark = pytest.mark.integration

HOOK = "TrailHOOK"
# what `run` and `broker` print for people (not logs): the status block and two one-liners
STATUS_LINES = ("  ", "newsstream is running", "newsstream stopped in", "broker ready on")


async def status(port: int, path: str) -> int:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"http://127.0.0.1:{port}{path}") as resp,
        ):
            await resp.read()
            return resp.status
    except aiohttp.ClientConnectionError:
        return 0


def json_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    docs, other = [], []
    for line in text.splitlines():
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError:
            other.append(line)
            continue
        if isinstance(doc, dict):
            docs.append(doc)
        else:
            other.append(line)
    return docs, other


def one(docs: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [d for d in docs if all(d.get(k) == v for k, v in match.items())]
    assert found, f"no log line with {match}"
    return found[0]


async def test_run_serves_health_everywhere_and_logs_an_article_trail(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("broker", "gateway", "worker", "poller", "notifier")}
    async with FakeSlack() as slack:
        env = dict(
            os.environ,
            NEWSSTREAM_BROKER_PORT=str(ports["broker"]),
            NEWSSTREAM_DATA_DIR=str(tmp_path / "data"),
            NEWSSTREAM_GATEWAY_PORT=str(ports["gateway"]),
            NEWSSTREAM_WORKER_WEB_PORT=str(ports["worker"]),
            NEWSSTREAM_POLLER_PORT=str(ports["poller"]),
            NEWSSTREAM_NOTIFIER_PORT=str(ports["notifier"]),
            NEWSSTREAM_TOPIC_PREFIX="trail.",
            NEWSSTREAM_SLACK_WEBHOOK_URL=slack.webhook_url(HOOK),
            NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS='["127.0.0.1"]',  # the fake Slack is local
            NEWSSTREAM_LOG_FORMAT="json",
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
        try:
            deadline = time.monotonic() + 30
            while not metadata_ok("127.0.0.1", ports["broker"]):
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "embedded broker never came up"
                await asyncio.sleep(0.1)
            await slack.wait_for(f"/services/T000/B000/{HOOK}", 1, timeout=90)
            for service in ("gateway", "worker", "poller", "notifier"):
                port = ports[service]
                assert await status(port, "/healthz") == 200, service
                assert await status(port, "/metrics") == 200, service
                deadline = time.monotonic() + 20
                while await status(port, "/readyz") != 200:
                    assert time.monotonic() < deadline, f"{service} never became ready"
                    await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # let the notifier's "delivered" line reach the log
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise

    docs, other = json_lines(log_path.read_text(errors="replace"))
    # everything that is a log line is JSON, faust's and aiokafka's included
    stray = [line for line in other if line.strip() and not line.startswith(STATUS_LINES)]
    assert not stray, "\n".join(stray[:20])
    assert any(d["logger"].startswith(("faust", "mode", "streams.worker")) for d in docs)

    # follow the article that triggered the Slack post, backwards from the notifier
    delivered = one(docs, logger="newsstream.deliver", msg="delivered", destination="default")
    article_id, story_id, alert_id = (
        delivered["article_id"],
        delivered["story_id"],
        delivered["alert_id"],
    )
    assert article_id and story_id and alert_id
    published = one(docs, logger="newsstream.poller", msg="published", article_id=article_id)
    decided = one(docs, msg="story decision", article_id=article_id, story_id=story_id)
    raised = one(docs, msg="alert raised", article_id=article_id, alert_id=alert_id)
    assert raised["story_id"] == story_id
    assert published["feed_url"]
    assert published["ts"] <= decided["ts"] <= raised["ts"] <= delivered["ts"]
    assert HOOK not in log_path.read_text(errors="replace"), "the webhook URL is a secret"
