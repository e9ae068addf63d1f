"""Slack Block Kit within Slack's limits, escaping, the console block, webhook bodies."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from streams.alerts.console import render_console, render_console_digest
from streams.alerts.render import (
    BLOCKS_MAX,
    HEADER_MAX,
    SECTION_MAX,
    change_summary,
    escape_mrkdwn,
    render_slack,
    render_slack_digest,
    render_text,
    render_webhook_body,
)
from streams.events import Alert, loads
from tests.fakes import make_alert, make_source


def _texts(message: dict) -> list[str]:
    out = []
    for b in message["blocks"]:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e["text"] for e in b.get("elements", [])]
    return out


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("<script>", "&lt;script&gt;"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("already &amp;", "already &amp;amp;"),
        ("plain", "plain"),
    ],
)
def test_escape_mrkdwn(raw: str, escaped: str) -> None:
    assert escape_mrkdwn(raw) == escaped


def test_message_has_headline_category_figures_place_sources_and_time() -> None:
    alert = make_alert(outlets=("wire.example", "daily.example"))
    msg = render_slack(alert)
    assert msg["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": alert.headline},
    }
    body = "\n".join(_texts(msg))
    assert "*strike*" in body and "severity *4*" in body
    assert "*Killed*\n2" in body
    assert "Izhevsk, RU" in body
    assert "<https://wire.example/world/story-1|wire.example>" in body
    assert "<https://daily.example/world/story-2|daily.example>" in body
    assert "first seen 2024-05-18T06:00:00.000Z" in body
    assert msg["text"].startswith("[strike · severity 4] Drone strike")


def test_hostile_text_cannot_ping_the_channel_or_break_links() -> None:
    alert = make_alert(headline="Leak <!channel> & <https://evil.example|click>")
    alert.sources[0] = dataclasses.replace(
        alert.sources[0], outlet="a|b>c", url="https://x.example/?q=<1>|2"
    )
    msg = render_slack(alert)
    # The header is plain_text, which Slack shows literally: no escaping there.
    assert msg["blocks"][0]["text"] == {"type": "plain_text", "text": alert.headline}
    body = "\n".join(_texts(msg)[1:]) + msg["text"]
    assert "<!channel>" not in body and "&lt;!channel&gt;" in msg["text"]
    assert "<https://evil.example" not in body
    assert "<https://x.example/?q=&lt;1&gt;%7C2|a¦b&gt;c>" in body


def test_limits_hold_for_a_huge_story() -> None:
    alert = make_alert(headline="Very long headline " * 30)
    alert.sources = [make_source(f"outlet{i}-{'x' * 150}.example", i) for i in range(400)]
    alert.source_count = 400
    alert.figures = alert.figures * 30
    msg = render_slack(alert)
    assert len(msg["blocks"]) <= BLOCKS_MAX
    header = msg["blocks"][0]["text"]["text"]
    assert len(header) <= HEADER_MAX and header.endswith("…")
    assert all(len(t) <= SECTION_MAX for t in _texts(msg))
    assert all(len(b.get("fields", [])) <= 10 for b in msg["blocks"])
    sources = next(t for t in _texts(msg) if t.startswith("*Sources:*"))
    assert sources.endswith("more") and sources.count("<https://") <= 15


def test_update_says_what_changed() -> None:
    alert = make_alert(
        revision=2,
        changes={
            "figures": {"killed": [2.0, 5.0]},
            "sources_added": [{"outlet": "daily.example", "url": "https://daily.example/1"}],
        },
    )
    msg = render_slack(alert)
    assert msg["blocks"][0]["text"]["text"].startswith("Update: ")
    assert "*What changed:* killed 2 → 5; 1 new source (daily.example)" in _texts(msg)
    assert render_text(alert).startswith("Update: [strike")


@pytest.mark.parametrize(
    ("changes", "summary"),
    [
        ({"severity": [3, 5]}, "severity 3 → 5"),
        ({"figures": {"injured": [None, 12.0]}}, "injured — → 12"),
        ({"figures": {"launched": [40.0, 57.5]}}, "launched 40 → 57.5"),
        (
            {"sources_added": [{"outlet": "a", "url": "u1"}, {"outlet": "b", "url": "u2"}]},
            "2 new sources (a, b)",
        ),
        ({}, ""),
    ],
)
def test_change_summary(changes: dict, summary: str) -> None:
    assert change_summary(changes) == summary


def test_digest_fits_slack_limits_and_counts_everything() -> None:
    alerts = [
        make_alert(story_id=f"s-{i}", headline=f"Story number {i} " + "x" * 180) for i in range(120)
    ]
    msg = render_slack_digest(alerts, "120 alerts arrived faster than 1/s")
    assert msg["blocks"][0]["text"]["text"] == "120 alerts in a digest"
    assert len(msg["blocks"]) <= BLOCKS_MAX
    assert all(len(t) <= SECTION_MAX for t in _texts(msg))
    assert "…and 80 more" in _texts(msg)


def test_webhook_body_is_the_alert() -> None:
    alert = make_alert()
    assert loads(Alert, render_webhook_body(alert)) == alert
    assert orjson.loads(render_webhook_body(alert))["alert_id"] == "s-abc:0"


def test_console_block_reads_well() -> None:
    alert = make_alert(outlets=("wire.example", "daily.example"))
    text = render_console(alert)
    lines = text.splitlines()
    assert lines[0].startswith("━━ ALERT · STRIKE · severity 4 (serious) ")
    assert lines[1] == "▶ Drone strike on fuel depot near Izhevsk kills two, officials say"
    assert "  figures:  killed 2" in lines
    assert "  place:    Izhevsk, RU" in lines
    assert "            - daily.example: https://daily.example/world/story-2" in lines
    assert all(len(line) <= 80 for line in lines[:2])
    assert "\033[" not in text
    assert "\033[1m" in render_console(alert, color=True)


def test_console_update_and_digest() -> None:
    update = make_alert(revision=1, changes={"severity": [4, 5]})
    assert "  changed:  severity 4 → 5" in render_console(update).splitlines()
    digest = render_console_digest([make_alert(), update], "backlog")
    assert "DIGEST · 2 alerts · backlog" in digest and "[update · sev 4]" in digest
