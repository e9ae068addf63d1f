"""The destination worker without Kafka or HTTP: a recording sender, a real ledger."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from streams.alerts.mutes import Mutes
from streams.alerts.rules import AlertConfig, DestinationConfig, RateLimit, RetryPolicy, parse_rules
from streams.deliver.ledger import Ledger
from streams.deliver.worker import DestinationWorker, Job
from streams.errors import NewsstreamError, PermanentError, TransientError
from streams.events import Alert
from tests.fakes import make_alert


class RecordingSender:
    kind = "console"

    def __init__(self, failures: Sequence[Exception] = ()) -> None:
        self.sent: list[list[str]] = []  # alert ids per message
        self.failures = list(failures)

    def skip_reason(self, alert: Alert) -> str | None:
        return "not wanted" if alert.headline == "skip me" else None

    async def send(self, alert: Alert) -> str:
        return await self.send_digest([alert], "")

    async def send_digest(self, alerts: Sequence[Alert], reason: str) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append([a.alert_id for a in alerts])
        return "ok"

    async def close(self) -> None:
        return None


class Harness:
    def __init__(
        self, tmp: Path, config: AlertConfig, sender: RecordingSender, mutes: Mutes
    ) -> None:
        self.ledger = Ledger(tmp / "ledger.sqlite")
        self.dead: list[tuple[str, str, str]] = []
        self.done: list[str] = []
        dest = DestinationConfig(
            name="d",
            type="console",
            rate=RateLimit(per_second=50, burst=50),
            retry=RetryPolicy(attempts=3, initial=0.01, maximum=0.02),
            digest_after=100,
        )
        self.worker = DestinationWorker(
            dest, sender, self.ledger, self._dead, lambda: config, lambda: mutes
        )

    async def _dead(self, job: Job, stage: str, error: str, error_type: str) -> None:
        self.dead.append((job.alert.alert_id, stage, error))

    def submit(self, *alerts: Alert) -> None:
        for a in alerts:
            self.worker.submit(Job(a, b"{}", done=lambda a=a: self.done.append(a.alert_id)))  # type: ignore[misc]

    async def settle(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.done) < count:
            assert time.monotonic() < deadline, f"only {self.done} done"
            await asyncio.sleep(0.01)


@pytest.fixture
async def run() -> AsyncIterator[list[asyncio.Task[None]]]:
    tasks: list[asyncio.Task[None]] = []
    yield tasks
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def start(h: Harness, tasks: list[asyncio.Task[None]]) -> None:
    tasks.append(asyncio.create_task(h.worker.run()))


async def test_rule_throttle_holds_the_excess_and_sends_it_as_one_digest(
    tmp_path: Path, run: list
) -> None:
    config = parse_rules({"rules": [{"name": "t", "throttle": {"max": 2, "per": 0.4}}]})
    sender = RecordingSender()
    h = Harness(tmp_path, config, sender, Mutes())
    start(h, run)
    h.submit(*[make_alert(story_id=f"s-{i}", rule="t") for i in range(6)])
    await h.settle(6)
    assert sender.sent == [["s-0:0"], ["s-1:0"], ["s-2:0", "s-3:0", "s-4:0", "s-5:0"]]
    assert [d.status for d in h.ledger.deliveries()].count("digested") == 4


async def test_rule_throttle_without_digest_drops_with_a_ledger_trace(
    tmp_path: Path, run: list
) -> None:
    config = parse_rules(
        {"rules": [{"name": "t", "throttle": {"max": 1, "per": "1h"}, "digest": False}]}
    )
    sender = RecordingSender()
    h = Harness(tmp_path, config, sender, Mutes())
    start(h, run)
    h.submit(make_alert(story_id="s-1", rule="t"), make_alert(story_id="s-2", rule="t"))
    await h.settle(2)
    assert sender.sent == [["s-1:0"]]
    assert {d.alert_id: d.status for d in h.ledger.deliveries()} == {
        "s-1:0": "delivered",
        "s-2:0": "throttled",
    }


async def test_muted_skipped_and_already_delivered_are_not_sent(tmp_path: Path, run: list) -> None:
    config = parse_rules({"rules": [{"name": "deadly-strike"}]})
    mutes = Mutes().add("story", "s-muted", 3600, time.time())
    sender = RecordingSender()
    h = Harness(tmp_path, config, sender, mutes)
    h.ledger.record("s-old:0", "d", "s-old", "delivered")
    start(h, run)
    h.submit(
        make_alert(story_id="s-muted"),
        make_alert(story_id="s-skip", headline="skip me"),
        make_alert(story_id="s-old"),
        make_alert(story_id="s-new"),
    )
    await h.settle(4)
    assert sender.sent == [["s-new:0"]]
    statuses = {d.alert_id: d.status for d in h.ledger.deliveries()}
    assert statuses == {
        "s-old:0": "delivered",
        "s-muted:0": "muted",
        "s-skip:0": "skipped",
        "s-new:0": "delivered",
    }


@pytest.mark.parametrize(
    ("failures", "sent", "dead_reason"),
    [
        ([TransientError("boom")] * 2, [["s-abc:0"]], None),
        ([TransientError("boom")] * 3, [], "boom (gave up after 3 attempts)"),
        (
            [PermanentError("HTTP 404 no_service")],
            [],
            "HTTP 404 no_service (gave up after 1 attempt)",
        ),
        ([ValueError("bug")], [], "unexpected ValueError (gave up after 1 attempt)"),
        ([NewsstreamError("not retriable")], [], "not retriable (gave up after 1 attempt)"),
    ],
)
async def test_retry_then_deliver_or_dead_letter(
    tmp_path: Path, run: list, failures: list, sent: list, dead_reason: str | None
) -> None:
    sender = RecordingSender(failures)
    h = Harness(tmp_path, parse_rules({"rules": [{"name": "x"}]}), sender, Mutes())
    start(h, run)
    h.submit(make_alert())
    await h.settle(1)
    assert sender.sent == sent
    if dead_reason is None:
        assert h.dead == []
    else:
        assert h.dead == [("s-abc:0", "notifier.console:d", dead_reason)]
        assert h.ledger.get("s-abc:0", "d").status == "dead_letter"  # type: ignore[union-attr]


async def test_a_story_back_under_a_new_id_is_not_posted_again(tmp_path: Path, run: list) -> None:
    """The worker's state was lost (memory broker restart): the same articles come back as a
    'new' alert of a fresh story id. The destination already has them: no second post."""
    config = parse_rules({"rules": [{"name": "deadly-strike"}]})
    sender = RecordingSender()
    h = Harness(tmp_path, config, sender, Mutes())
    h.ledger.set_thread("s-old", "d", "C1", "111.222")
    start(h, run)
    old = make_alert(story_id="s-old", outlets=("a.example", "b.example"))
    h.submit(old)
    await h.settle(1)
    again = make_alert(story_id="s-new", outlets=("b.example",))
    again.sources = [old.sources[1]]  # the same article, back under a fresh story id
    h.submit(again)
    h.submit(make_alert(story_id="s-other", outlets=("c.example",)))  # truly new
    await h.settle(3)
    assert sender.sent == [["s-old:0"], ["s-other:0"]]
    assert h.ledger.get("s-new:0", "d").status == "seen_story"  # type: ignore[union-attr]
    thread = h.ledger.thread("s-new", "d")
    assert thread is not None and thread.ts == "111.222", "updates thread under the original"


async def test_articles_of_a_skipped_update_still_identify_the_story(
    tmp_path: Path, run: list
) -> None:
    """The story's update was not posted (nothing key changed), but its new article is now
    part of a story this destination has: if that article later heads a 'new' alert under
    a fresh story id, it is the same story."""
    config = parse_rules({"rules": [{"name": "deadly-strike"}]})
    sender = RecordingSender()
    h = Harness(tmp_path, config, sender, Mutes())
    start(h, run)
    first = make_alert(story_id="s-old", outlets=("a.example",))
    update = make_alert(story_id="s-old", revision=1, outlets=("a.example", "b.example"))
    update.headline = "skip me"  # the recording sender skips this one, like a webhook would
    h.submit(first, update)
    await h.settle(2)
    again = make_alert(story_id="s-new", outlets=("b.example",))
    again.sources = [update.sources[1]]
    h.submit(again)
    await h.settle(3)
    assert sender.sent == [["s-old:0"]]
    assert h.ledger.get("s-new:0", "d").status == "seen_story"  # type: ignore[union-attr]
