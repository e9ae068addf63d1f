"""The faust worker on a real broker: poison messages, two workers sharing partitions,
state surviving a restart. Workers run as real `newsstream worker` processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.broker import EmbeddedBroker, ensure_topics, free_port
from streams.events import Article, UnderstoodArticle, dumps, pack_batches
from streams.settings import load_settings
from streams.topics import topic_specs
from tests.helpers import validate

pytestmark = pytest.mark.integration


def recent(minutes: int) -> str:
    """A time an hour ago plus ``minutes``: inside the story window (72 h)."""
    t = datetime.now(UTC) - timedelta(hours=1) + timedelta(minutes=minutes)
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def article(aid: str, outlet: str, title: str, summary: str, minutes: int = 0) -> Article:
    return Article(
        article_id=aid,
        feed_url=f"https://{outlet}.example/rss",
        outlet=outlet,
        url=f"https://{outlet}.example/{aid}",
        title=title,
        summary=summary,
        published=recent(minutes),
        fetched_at=recent(minutes + 1),
        content_hash=f"h-{aid}-{len(title) + len(summary)}",
    )


STRIKE = [
    article(
        "a1",
        "ledger",
        "Drone strike on Izhevsk arms factory kills three, injures 35",
        "Drones hit a weapons plant in Izhevsk, killing three people and injuring 35, "
        "ten of them seriously, regional officials said.",
        1,
    ),
    article(
        "a2",
        "wire",
        "Three dead as drones hit weapons plant deep inside Russia",
        "An attack by drones on a munitions factory in Izhevsk left 3 people dead and 35 "
        "wounded, according to the head of the Udmurtia region.",
        5,
    ),
    article(
        "a3",
        "daily",
        "Izhevsk: drones strike arms plant 1,300 km from the front",
        "Officials in Udmurtia said three people were killed and 35 hurt after drones "
        "struck a weapons factory in Izhevsk.",
        9,
    ),
]
OTHER = [
    article(
        "b1",
        "ledger",
        "Drones hit fuel depot in Bryansk region, governor says",
        "A drone attack set fire to a fuel depot near Bryansk, the governor said. "
        "No casualties were reported.",
        12,
    ),
    article(
        "c1",
        "wire",
        "City council approves new bike lanes downtown",
        "The council voted to add protected bike lanes on four streets.",
        14,
    ),
]


@contextmanager
def workers(
    broker: EmbeddedBroker,
    prefix: str,
    data_dir: Path,
    n: int,
    extra_env: dict[str, str] | None = None,
) -> Iterator[list]:
    env = dict(
        os.environ,
        **(extra_env or {}),
        NEWSSTREAM_KAFKA_BOOTSTRAP=broker.bootstrap,
        NEWSSTREAM_TOPIC_PREFIX=prefix,
        NEWSSTREAM_DATA_DIR=str(data_dir),
        NEWSSTREAM_SESSION_TIMEOUT_MS="2000",
        NEWSSTREAM_HEARTBEAT_INTERVAL_MS="500",
    )
    procs = []
    for i in range(n):
        env_i = dict(env, NEWSSTREAM_WORKER_WEB_PORT=str(free_port()))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "streams", "worker", "--index", str(i)],
                env=env_i,
                stdout=subprocess.DEVNULL,
                stderr=open(data_dir / f"worker-{i}.log", "ab"),  # noqa: SIM115
                start_new_session=True,
            )
        )
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


async def produce(bootstrap: str, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_until(
    bootstrap: str, topics: list[str], done: object, timeout: float = 60
) -> dict[str, list[dict]]:
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=20
    )
    await consumer.start()
    got: dict[str, list[dict]] = {t: [] for t in topics}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not done(got):  # type: ignore[operator]
            for tp, msgs in (await consumer.getmany(timeout_ms=300)).items():
                got[tp.topic] += [orjson.loads(m.value) for m in msgs]
    finally:
        await consumer.stop()
    return got


async def setup(broker: EmbeddedBroker, prefix: str) -> None:
    settings = load_settings(topic_prefix=prefix, kafka_bootstrap=broker.bootstrap)
    await ensure_topics(broker.bootstrap, topic_specs(settings))


def arts(items: list[Article]) -> list[tuple[bytes, bytes]]:
    return [(a.article_id.encode(), dumps(a)) for a in items]


async def test_poison_messages_go_to_dead_letter_and_worker_goes_on(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    await setup(broker, topic_prefix)
    poison = [
        (b"p1", b"{not json"),
        (b"p2", b'{"schema_version": 1, "title": "no id"}'),
        (b"p3", b'{"schema_version": 7, "article_id": "x"}'),
        (b"p4", b"x" * 300_000),
    ]
    # a valid article whose understood form is over the item limit set below
    huge = article("p7", "wire", "City budget in full", "The council published its budget.")
    huge.content = "The council set out every line of the budget. " * 1_500  # ~70 KB
    poison.append((b"p7", dumps(huge)))
    await produce(broker.bootstrap, f"{topic_prefix}articles", poison + arts(OTHER[1:]))
    # poison on the internal topic too: a record that is no batch, and a batch whose one
    # bad item is dead-lettered alone while its good item goes on
    good = dumps(UnderstoodArticle(article=OTHER[0], understood_at="2026-01-01T00:00:00Z"))
    batch = pack_batches([b'{"schema_version": 1}', good, good])[0]  # good twice: one event
    await produce(broker.bootstrap, f"{topic_prefix}stories-in", [(b"p5", b"[]"), (b"p6", batch)])
    with workers(broker, topic_prefix, tmp_path, 1, {"NEWSSTREAM_MAX_ITEM_BYTES": "50000"}):
        got = await read_until(
            broker.bootstrap,
            [f"{topic_prefix}deadletter", f"{topic_prefix}events"],
            lambda g: (
                len(g[f"{topic_prefix}deadletter"]) >= 7
                and {e.get("article", {}).get("article_id") for e in g[f"{topic_prefix}events"]}
                >= {OTHER[0].article_id, OTHER[1].article_id}
            ),
        )
    dead = got[f"{topic_prefix}deadletter"]
    assert sorted(d["key"] for d in dead) == ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]
    for d in dead:
        validate("deadletter", d)
        assert d["error"] and d["stage"].startswith("worker.")
    by_key = {d["key"]: d for d in dead}
    assert "not JSON" in by_key["p1"]["error"]
    assert "required field missing" in by_key["p2"]["error"]
    assert "schema_version" in by_key["p3"]["error"]
    assert by_key["p4"]["value_truncated"] is True
    assert by_key["p7"]["stage"] == "worker.understand"
    assert "over the 50,000-byte limit" in by_key["p7"]["error"]
    assert "NEWSSTREAM_MAX_ITEM_BYTES" in by_key["p7"]["error"]
    assert by_key["p5"]["stage"] == by_key["p6"]["stage"] == "worker.stories"
    assert orjson.loads(by_key["p6"]["value"]) == {"schema_version": 1}  # the item, not the batch
    # everything the worker wrote (it has stopped): the repeated item gave one event
    again = await read_until(broker.bootstrap, [f"{topic_prefix}events"], lambda g: False, 4)
    good_id = OTHER[0].article_id
    assert [e["article"]["article_id"] for e in again[f"{topic_prefix}events"]].count(good_id) == 1


async def test_two_workers_on_four_partitions_cluster_correctly(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    await setup(broker, topic_prefix)
    items = arts(STRIKE + OTHER)
    # the same article twice (a retried send): absorbed by id downstream
    items.append(items[0])
    with workers(broker, topic_prefix, tmp_path, 2) as procs:
        await asyncio.sleep(4)  # let both join, so partitions are split between them
        await produce(broker.bootstrap, f"{topic_prefix}articles", items)
        events_t = f"{topic_prefix}events"
        got = await read_until(
            broker.bootstrap,
            [events_t, f"{topic_prefix}alerts"],
            lambda g: (
                len({e["article"]["article_id"] for e in g[events_t]}) >= 5
                # the strike story's own alert, not just any story's
                and any(
                    a["action"] == "new"
                    and any(
                        e["story_id"] == a["story_id"] and e["article"]["article_id"] == "a1"
                        for e in g[events_t]
                    )
                    for a in g[f"{topic_prefix}alerts"]
                )
            ),
        )
        await asyncio.sleep(1)  # a second alert for the story would arrive now
        assert all(p.poll() is None for p in procs), "both workers still running"
    events = got[events_t]
    by_id = {e["article"]["article_id"]: e for e in events}
    assert len(events) == 5, "one enriched event per article; the repeat was absorbed"
    assert len({by_id[a.article_id]["story_id"] for a in STRIKE}) == 1
    assert by_id["b1"]["story_id"] != by_id["a1"]["story_id"]
    assert by_id["a3"]["source_count"] == 3
    strike_alerts = [
        a for a in got[f"{topic_prefix}alerts"] if a["story_id"] == by_id["a1"]["story_id"]
    ]
    # at-least-once: a rebalance may repeat a message with the same alert_id; count ids
    assert {a["alert_id"] for a in strike_alerts if a["action"] == "new"} == {
        f"{by_id['a1']['story_id']}:0"
    }


async def test_story_state_survives_worker_restart(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    await setup(broker, topic_prefix)
    events_t = f"{topic_prefix}events"
    with workers(broker, topic_prefix, tmp_path, 1):
        await produce(broker.bootstrap, f"{topic_prefix}articles", arts(STRIKE[:2]))
        first = await read_until(broker.bootstrap, [events_t], lambda g: len(g[events_t]) >= 2)
    story = first[events_t][0]["story_id"]
    # a fresh process (memory store: tables come back from their changelogs)
    follow_up = article(
        "a4",
        "post",
        "Death toll from Izhevsk weapons plant strike rises to four",
        "Four people have now been killed after drones struck a weapons factory in Izhevsk, "
        "the Udmurtia regional head said.",
        30,
    )
    changed = replace(
        STRIKE[0],
        summary=STRIKE[0].summary + " A fourth victim died.",
        content_hash="h-a1-v2",
        kind="updated",
        changed_fields=["summary"],
    )
    with workers(broker, topic_prefix, tmp_path, 1):
        await produce(
            broker.bootstrap,
            f"{topic_prefix}articles",
            arts([STRIKE[1], follow_up, changed]),  # STRIKE[1] again: a repeat
        )
        got = await read_until(
            broker.bootstrap,
            [events_t, f"{topic_prefix}alerts"],
            lambda g: len(g[events_t]) >= 4,
            timeout=60,
        )
    events = got[events_t]
    assert len(events) == 4, [e["article"]["article_id"] for e in events]
    late = {e["article"]["article_id"]: e for e in events[2:]}
    assert late["a4"]["story_id"] == story, "the follow-up joins the story after a restart"
    assert late["a1"]["story_id"] == story and late["a1"]["kind"] == "updated"
    alerts = [a for a in got[f"{topic_prefix}alerts"] if a["story_id"] == story]
    new_ids = {a["alert_id"] for a in alerts if a["action"] == "new"}
    assert new_ids == {f"{story}:0"}, "no second alert after restart"


async def test_taxonomy_edit_is_picked_up_without_a_restart(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    await setup(broker, topic_prefix)
    taxonomy = tmp_path / "taxonomy.yaml"
    original = (Path(__file__).resolve().parents[2] / "config" / "taxonomy.yaml").read_text()
    taxonomy.write_text(original)
    events_t, cyber_t = f"{topic_prefix}events", f"{topic_prefix}events.cyber"
    env = {"NEWSSTREAM_TAXONOMY_FILE": str(taxonomy)}
    ransomware = article(
        "r1",
        "wire",
        "Ransomware gang cripples port logistics systems",
        "A ransomware attack halted container booking systems at the port for a day.",
        3,
    )
    with workers(broker, topic_prefix, tmp_path, 1, extra_env=env):
        await produce(broker.bootstrap, f"{topic_prefix}articles", arts(OTHER[1:]))
        await read_until(broker.bootstrap, [events_t], lambda g: len(g[events_t]) >= 1)
        # a user adds a category while the worker runs (and breaks nothing else)
        added = (
            "categories:\n  cyber:\n    description: cyber attacks\n    patterns:\n"
            "      - match: \\bransomware\\b\n        weight: 0.9\n        label: ransomware\n"
        )
        taxonomy.write_text(original.replace("categories:\n", added, 1))
        await asyncio.sleep(3)  # the worker looks at the file every 2 s
        await produce(broker.bootstrap, f"{topic_prefix}articles", arts([ransomware]))
        got = await read_until(
            broker.bootstrap,
            [events_t, cyber_t],
            lambda g: (
                any(e["article"]["article_id"] == "r1" for e in g[events_t])
                and len(g[cyber_t]) >= 1
            ),
        )
    (ev,) = [e for e in got[events_t] if e["article"]["article_id"] == "r1"]
    assert "cyber" in {c["name"] for c in ev["categories"]}
    assert got[cyber_t][0]["article"]["article_id"] == "r1", "its own topic, created on the fly"
