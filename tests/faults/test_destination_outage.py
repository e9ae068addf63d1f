"""Slack down for 60 s (connection refused, then 503): with the default retry policy every
alert is delivered after recovery, in order per story; nothing is silently dropped."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from streams.settings import Settings
from tests.fakes import make_alert
from tests.fakes.fake_slack import FakeSlack, Reply
from tests.integration.test_notifier import (
    ledger_rows,
    notifier,
    produce,
    settings,  # noqa: F401  (fixture)
    write_rules,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(240)]

HOOK = "/services/T000/B000/outage"


async def test_sixty_second_outage_then_everything_arrives_in_order(
    settings: Settings,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack = FakeSlack()
    monkeypatch.setenv("TEST_OUTAGE_URL", f"{slack.url}{HOOK}")
    # the default retry policy; a generous rate so the test measures the outage, not pacing
    dest = {"type": "slack_webhook", "url_env": "TEST_OUTAGE_URL", "rate": {"per_second": 20}}
    rules = write_rules(tmp_path, {"ops": dest})
    story_a = [
        make_alert(
            story_id="s-a",
            revision=r,
            destinations=("ops",),
            severity=3 + r,
            figures=(("killed", 2 + r),),
            changes={"severity": [2 + r, 3 + r]} if r else None,
        )
        for r in range(3)
    ]
    others = [make_alert(story_id=f"s-{n}", destinations=("ops",)) for n in "bcd"]
    t0 = time.monotonic()
    async with notifier(settings, rules):
        # down: nothing listens on the port (connection refused) for 30 s
        await produce(settings, story_a[0], others[0])
        await asyncio.sleep(30)
        await slack.start()
        slack.always(HOOK, Reply(503))  # up but failing for another 30 s
        await produce(settings, story_a[1], others[1], story_a[2], others[2])
        await asyncio.sleep(30)
        slack.always(HOOK, None)  # recovered
        deadline = time.monotonic() + 150
        while len(ledger_rows(settings)) < 6:
            assert time.monotonic() < deadline, ledger_rows(settings)
            await asyncio.sleep(0.2)
    await slack.stop()
    assert time.monotonic() - t0 > 60
    rows = ledger_rows(settings)
    assert set(rows.values()) <= {"delivered", "digested"}, rows
    ok = [r.body.decode() for r in slack.to(HOOK, status=200)]
    text = "\n".join(ok)
    for a in [*story_a, *others]:
        assert a.story_id in text, f"{a.alert_id} never arrived"
    # per story, revisions arrive in order
    positions = [text.find(f"revision {r}", text.find("s-a")) for r in range(3)]
    firsts = [
        min(i for i, body in enumerate(ok) if "s-a" in body and f"revision {r}" in body)
        for r in range(3)
    ]
    assert firsts == sorted(firsts), positions
    refused = [r for r in slack.to(HOOK) if r.status == 503]
    assert refused, "the 503 phase was exercised"
