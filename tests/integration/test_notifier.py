"""The notifier against a real broker and a fake Slack that is a real HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.broker import EmbeddedBroker, ensure_topics
from streams.deliver.ledger import Ledger
from streams.deliver.notifier import LEDGER_FILE, Notifier, serve_notifier
from streams.deliver.signature import verify
from streams.events import Alert, DeadLetter, dumps, loads
from streams.settings import Settings, load_settings
from streams.topics import topic_specs
from tests.fakes import make_alert
from tests.fakes.fake_slack import FakeSlack, Reply

pytestmark = pytest.mark.integration
FAST_RETRY = {"attempts": 4, "initial": 0.05, "max": 0.2, "timeout": 1}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def settings(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    # the fake Slack lives on the loopback, which destinations may reach only when allowed
    monkeypatch.setenv("NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS", '["127.0.0.1"]')
    s = load_settings(
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=topic_prefix,
        partitions=2,
        data_dir=tmp_path / "data",
        rebalance_timeout_s=1.0,
    )
    await ensure_topics(broker.bootstrap, topic_specs(s))
    return s


def write_rules(tmp_path: Path, destinations: dict, rules: list | None = None) -> Path:
    path = tmp_path / "alerts.yaml"
    rules = rules or [{"name": "all", "destinations": list(destinations)}]
    path.write_text(yaml.safe_dump({"destinations": destinations, "rules": rules}))
    return path


async def produce(settings: Settings, *alerts: Alert) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for a in alerts:
            await producer.send(settings.topic("alerts"), dumps(a), key=a.story_id.encode())
        await producer.flush()
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def notifier(
    settings: Settings, rules: Path | None, stdout: io.StringIO | None = None
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    # The embedded broker makes a joining member wait about half the session timeout.
    fast_join = {"session_timeout_ms": 1000, "heartbeat_interval_ms": 300}
    task = asyncio.create_task(serve_notifier(settings, rules, stop, stdout, fast_join))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def ledger_rows(settings: Settings) -> dict[str, str]:
    ledger = Ledger(Path(settings.data_dir) / LEDGER_FILE)
    try:
        return {f"{d.alert_id}@{d.destination}": d.status for d in ledger.deliveries()}
    finally:
        ledger.close()


async def wait_until(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def dead_letters(settings: Settings, count: int, timeout: float = 10.0) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(
        settings.topic("deadletter"),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    out: list[DeadLetter] = []
    try:
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for msgs in (await consumer.getmany(timeout_ms=200)).values():
                out += [loads(DeadLetter, m.value) for m in msgs if m.value]
    finally:
        await consumer.stop()
    return out


def hook_dest(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, **over: object) -> dict:
    monkeypatch.setenv("TEST_SLACK_WEBHOOK_URL", slack.webhook_url("ops"))
    return {
        "type": "slack_webhook",
        "url_env": "TEST_SLACK_WEBHOOK_URL",
        "retry": FAST_RETRY,
        **over,
    }


HOOK_PATH = "/services/T000/B000/ops"


def alert(**over: object) -> Alert:
    """An alert the worker routed to the ``ops`` destination."""
    return make_alert(**{"destinations": ("ops",), **over})  # type: ignore[arg-type]


async def test_429_then_200_is_delivered_once_after_retry_after(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = write_rules(tmp_path, {"ops": hook_dest(slack, monkeypatch)})
    slack.script(HOOK_PATH, Reply(429, b"rate_limited", {"Retry-After": "1"}))
    await produce(settings, alert())
    async with notifier(settings, rules):
        await slack.wait_for(HOOK_PATH, 1)
        await wait_until(lambda: ledger_rows(settings) == {"s-abc:0@ops": "delivered"})
    first, second = slack.to(HOOK_PATH)
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95  # Retry-After honoured, not our 50 ms backoff
    assert second.json()["blocks"][0]["text"]["text"].startswith("Drone strike")
    assert len(slack.to(HOOK_PATH, 200)) == 1


async def test_500_three_times_then_200(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = write_rules(tmp_path, {"ops": hook_dest(slack, monkeypatch)})
    slack.script(HOOK_PATH, *[Reply(500, b"oops")] * 3)
    await produce(settings, alert())
    async with notifier(settings, rules):
        await slack.wait_for(HOOK_PATH, 1)
        await wait_until(lambda: ledger_rows(settings) == {"s-abc:0@ops": "delivered"})
    assert [r.status for r in slack.to(HOOK_PATH)] == [500, 500, 500, 200]
    gaps = [b.at - a.at for a, b in zip(slack.to(HOOK_PATH), slack.to(HOOK_PATH)[1:], strict=False)]
    assert (
        gaps[0] >= 0.04 and gaps[1] >= 0.09 and gaps[2] >= 0.18
    )  # 0.05, 0.1, 0.2: backoff doubles


async def test_long_outage_dead_letters_with_the_reason_and_other_destinations_go_on(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "TEST_DOWN_URL", "http://127.0.0.1:9/services/T9/B9/secretpart"
    )  # nothing listens
    down = {
        "type": "slack_webhook",
        "url_env": "TEST_DOWN_URL",
        "retry": {**FAST_RETRY, "attempts": 3},
    }
    rules = write_rules(tmp_path, {"down": down, "ops": hook_dest(slack, monkeypatch)})
    await produce(settings, make_alert(destinations=("down", "ops")))
    async with notifier(settings, rules):
        await slack.wait_for(HOOK_PATH, 1)  # the healthy destination is not held up
        await wait_until(lambda: len(ledger_rows(settings)) == 2)
    assert ledger_rows(settings) == {"s-abc:0@down": "dead_letter", "s-abc:0@ops": "delivered"}
    [dl] = await dead_letters(settings, 1)
    assert dl.stage == "notifier.slack_webhook:down" and dl.error_type == "TransientError"
    assert "connection failed" in dl.error and "gave up after 3 attempts" in dl.error
    assert "secretpart" not in dl.error  # the URL's secret path never leaks
    assert loads(Alert, dl.value or "").alert_id == "s-abc:0"
    assert (dl.source_topic, dl.key) == (settings.topic("alerts"), "s-abc")


async def test_burst_of_100_becomes_digests_at_the_rate_limit(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = hook_dest(slack, monkeypatch, rate={"per_second": 2, "burst": 2}, digest_after=10)
    rules = write_rules(tmp_path, {"ops": dest})
    alerts = [
        alert(story_id=f"s-{i:03d}", headline=f"Blackout report number {i:03d}") for i in range(100)
    ]
    async with notifier(settings, rules):
        await produce(settings, alert(story_id="s-warm"))
        await slack.wait_for(HOOK_PATH, 1)  # consuming: now the burst arrives in waves
        for wave in range(10):
            await produce(settings, *alerts[wave * 10 : wave * 10 + 10])
            await asyncio.sleep(0.05)
        await wait_until(lambda: len(ledger_rows(settings)) == 101)
    posts = slack.to(HOOK_PATH)
    assert 3 <= len(posts) <= 10, [p.json()["text"][:60] for p in posts]
    digests = [p for p in posts if "in a digest" in p.json()["text"]]
    assert digests, "a backlog must become a digest"
    counted = sum(int(p.json()["text"].split()[0]) if p in digests else 1 for p in posts)
    assert counted == 101  # every alert is in exactly one post
    # beyond the burst of 2, posts are spaced by the rate (2/s)
    for a, b in itertools.pairwise(posts[2:]):
        assert b.at - a.at >= 0.45
    assert posts[-1].at - posts[0].at >= 0.45 * (len(posts) - 2)
    statuses = set(ledger_rows(settings).values())
    assert statuses <= {"delivered", "digested"} and "digested" in statuses


async def test_bot_token_threads_updates_and_edits_the_original(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_BOT_TOKEN", "xoxb-test-token")
    bot = {
        "type": "slack_bot",
        "token_env": "TEST_BOT_TOKEN",
        "channel": "#alerts",
        "api_url": slack.api_url,
        "retry": FAST_RETRY,
    }
    rules = write_rules(tmp_path, {"bot": bot})
    new = make_alert(destinations=("bot",))
    update = make_alert(
        destinations=("bot",),
        revision=1,
        changes={"figures": {"killed": [2.0, 5.0]}},
        figures=(("killed", 5),),
    )
    await produce(settings, new, update)
    async with notifier(settings, rules):
        await slack.wait_for("/api/chat.update", 1)
    posts = [r.json() for r in slack.to("/api/chat.postMessage")]
    assert len(posts) == 2
    original, reply = posts
    assert original["channel"] == "#alerts" and "thread_ts" not in original
    assert reply["thread_ts"] == "1700000000.000001" and reply["channel"] == slack.channel_id
    assert "killed 2 → 5" in orjson.dumps(reply["blocks"]).decode()
    [edit] = [r.json() for r in slack.to("/api/chat.update")]
    assert edit["ts"] == "1700000000.000001"
    assert not edit["blocks"][0]["text"]["text"].startswith("Update:")
    assert all(r.headers["Authorization"] == "Bearer xoxb-test-token" for r in slack.requests)


async def test_incoming_webhook_posts_updates_only_for_key_changes(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = write_rules(tmp_path, {"ops": hook_dest(slack, monkeypatch)})
    more_sources = alert(
        revision=1, changes={"sources_added": [{"outlet": "b", "url": "https://b/1"}]}
    )
    worse = alert(revision=2, changes={"severity": [4, 5]}, severity=5)
    await produce(settings, alert(), more_sources, worse)
    async with notifier(settings, rules):
        await wait_until(lambda: len(ledger_rows(settings)) == 3)
    assert ledger_rows(settings) == {
        "s-abc:0@ops": "delivered",
        "s-abc:1@ops": "skipped",
        "s-abc:2@ops": "delivered",
    }
    assert [p.json()["text"][:7] for p in slack.to(HOOK_PATH)] == ["[strike", "Update:"]


async def test_webhook_is_signed_and_the_signature_verifies(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_HOOK_URL", slack.hook_url("partner"))
    secret_file = tmp_path / "hook_secret"
    secret_file.write_text("whsec-test\n")
    dest = {
        "type": "webhook",
        "url_env": "TEST_HOOK_URL",
        "secret_file": str(secret_file),
        "retry": FAST_RETRY,
    }
    rules = write_rules(tmp_path, {"partner": dest})
    await produce(settings, make_alert(destinations=("partner",)))
    async with notifier(settings, rules):
        await slack.wait_for("/hook/partner", 1)
    [req] = slack.to("/hook/partner")
    ts, sig = req.headers["X-Newsstream-Timestamp"], req.headers["X-Newsstream-Signature"]
    assert req.headers["X-Newsstream-Alert-Id"] == "s-abc:0"
    assert verify("whsec-test", ts, req.body, sig, now=time.time())
    assert not verify("wrong", ts, req.body, sig, now=time.time())
    assert loads(Alert, req.body) == make_alert(destinations=("partner",))


async def test_ledger_prevents_a_repost_after_restart(
    settings: Settings, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = write_rules(tmp_path, {"ops": hook_dest(slack, monkeypatch)})
    await produce(settings, alert(), alert(story_id="s-two"))

    async def crash_before_commit(self: Notifier) -> None:
        return None

    with monkeypatch.context() as m:  # a crash between posting and committing
        m.setattr(Notifier, "commit", crash_before_commit)
        async with notifier(settings, rules):
            await wait_until(lambda: len(ledger_rows(settings)) == 2)
    assert len(slack.to(HOOK_PATH)) == 2
    await produce(settings, alert(story_id="s-three"))
    async with notifier(settings, rules):
        await wait_until(lambda: len(ledger_rows(settings)) == 3)
        await asyncio.sleep(0.3)  # time enough for a wrong repost to show up
    texts = [p.json()["blocks"][-1]["elements"][0]["text"] for p in slack.to(HOOK_PATH)]
    assert len(texts) == 3 and "s-three" in texts[2]


async def test_console_default_and_bad_messages(settings: Settings, tmp_path: Path) -> None:
    out = io.StringIO()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic("alerts"), b"{not json", key=b"s-bad")
    finally:
        await producer.stop()
    await produce(settings, make_alert(destinations=("nowhere",)))
    async with notifier(settings, None, stdout=out):  # no rules file, no Slack: the console
        await wait_until(lambda: "Drone strike" in out.getvalue())
    assert "▶ Drone strike on fuel depot near Izhevsk" in out.getvalue()
    [dl] = await dead_letters(settings, 1)
    assert dl.stage == "notifier.decode" and dl.key == "s-bad"


async def test_run_notifier_prints_to_the_console_and_stops_on_sigterm(
    settings: Settings, tmp_path: Path
) -> None:
    import os
    import signal
    import sys

    env = dict(
        os.environ,
        NEWSSTREAM_KAFKA_BOOTSTRAP=settings.kafka_bootstrap or "",
        NEWSSTREAM_TOPIC_PREFIX=settings.topic_prefix,
        NEWSSTREAM_DATA_DIR=str(tmp_path / "sub"),
        NEWSSTREAM_REBALANCE_TIMEOUT_S="1",
    )
    for var in (
        "NEWSSTREAM_SLACK_WEBHOOK_URL",
        "NEWSSTREAM_SLACK_BOT_TOKEN",
        "NEWSSTREAM_WEBHOOK_URL",
    ):
        env.pop(var, None)
    code = (
        "import asyncio; from streams.settings import load_settings; "
        "from streams.deliver.notifier import run_notifier; "
        "asyncio.run(run_notifier(load_settings(), None))"
    )
    await produce(settings, make_alert())
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    seen = b""
    try:
        while b"first seen" not in seen:
            seen += await asyncio.wait_for(proc.stdout.read(200), 20)
    finally:
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        rc = await asyncio.wait_for(proc.wait(), 10)
    assert rc == 0 and time.monotonic() - started < 5
    assert "▶ Drone strike on fuel depot" in seen.decode()
