"""Worker throughput (ours vs a bare aiokafka loop vs a forwarding faust agent, same broker,
topics, 4 partitions, ~1 KB Article JSON) and publish → enriched latency under a paced load.

Every contender is a separate process reading ``<prefix>articles`` and writing
``<prefix>events``; this process produces and reads the output (assigned partitions, 5 ms
fetch wait). Throughput = N / (first send → the N-th distinct output seen), after a
warm-up batch has gone through (group joined, partitions assigned, code warm).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from itertools import count
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    Arrivals,
    encoded,
    make_articles,
    percentile,
    producer,
    say,
    send_all,
    service_env,
    spawn,
    spawn_workers,
    stop,
)

from streams.broker import ensure_topics
from streams.settings import load_settings
from streams.topics import topic_specs

_runs = count()
WARM = 60


async def fresh_topics(bootstrap: str, kind: str, partitions: int = 4) -> str:
    prefix = f"b{os.getpid()}-{kind}-{next(_runs)}."
    settings = load_settings(topic_prefix=prefix, kafka_bootstrap=bootstrap, partitions=partitions)
    await ensure_topics(bootstrap, topic_specs(settings))
    return prefix


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(
    kind: str,
    bootstrap: str,
    prefix: str,
    data_dir: Path,
    workers: int,
    wait_ms: int,
    tree: Path | None = None,
) -> Any:
    extra = {"NEWSSTREAM_FETCH_MAX_WAIT_MS": str(wait_ms)}
    if kind == "ours":
        return spawn_workers(workers, bootstrap, prefix, data_dir, tree, **extra)
    env = service_env(bootstrap, prefix, data_dir, **extra)
    if kind == "bare":
        argv = [
            sys.executable, str(ROOT / "benchmarks/bare_loop.py"), bootstrap,
            f"{prefix}articles", f"{prefix}events", f"{prefix}bare", str(wait_ms),
        ]  # fmt: skip
    else:  # forward, or forward_work: the forwarding agent doing our work in one hop
        argv = [sys.executable, str(ROOT / "benchmarks/forward_app.py")]
        if kind == "forward_work":
            env["BENCH_FORWARD_WORK"] = "1"
    return [spawn(argv, env, data_dir / f"{kind}.log")]


class Profiler:
    """py-spy record on one process for the measured part of a run (optional)."""

    def __init__(self, out: Path | None) -> None:
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, pid: int) -> None:
        spy = Path(sys.executable).parent / "py-spy"
        if self.out is None or not spy.exists():
            return
        self.proc = subprocess.Popen(
            [str(spy), "record", "--pid", str(pid), "--rate", "200", "--format", "raw",
             "--output", str(self.out), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)  # attached before the batch goes in

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(2)  # py-spy writes its file on SIGINT
            self.proc.wait(30)


async def warm_up(prod: Any, arrivals: Any, prefix: str, workers: int, what: str) -> None:
    """Warm articles through before the clock starts. With several workers the group must
    have settled (every member joined, partitions split) first, or a rebalance lands
    inside the measurement: three rounds, 3 s apart."""
    for round_ in range(1 if workers == 1 else 3):
        if round_:
            await asyncio.sleep(3.0)
        warm = make_articles(WARM, f"{prefix}w{round_}")
        await send_all(prod, f"{prefix}articles", encoded(warm))
        if await arrivals.wait_for([a.article_id for a in warm], 120) is None:
            raise RuntimeError(f"{what}: warm-up did not come through")


async def throughput(
    bootstrap: str,
    kind: str,
    n: int,
    data_dir: Path,
    workers: int = 1,
    wait_ms: int = 10,
    profile: Path | None = None,
    broker_pid: int | None = None,
    tree: Path | None = None,
) -> dict[str, Any]:
    """Articles/s through one contender; also CPU ms per article of its processes and of
    the broker (``broker_pid``)."""
    prefix = await fresh_topics(bootstrap, kind)
    arrivals = Arrivals(bootstrap, f"{prefix}events", id_of="event" if kind == "ours" else "key")
    await arrivals.start()
    prod = producer(bootstrap)
    await prod.start()
    procs = start(kind, bootstrap, prefix, data_dir, workers, wait_ms, tree)
    spy = Profiler(profile)
    try:
        t = time.monotonic()
        await warm_up(prod, arrivals, prefix, workers, f"{kind} ({data_dir})")
        say(f"{kind} x{workers}: ready after {time.monotonic() - t:.1f} s; {n} articles")
        items = make_articles(n, f"{prefix}m", seed=11)
        payload = encoded(items)
        spy.start(procs[0].pid)
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        bcpu0 = cpu_seconds(broker_pid) if broker_pid else 0.0
        t0 = time.time()
        await send_all(prod, f"{prefix}articles", payload)
        sent = time.time() - t0
        t1 = await arrivals.wait_for([a.article_id for a in items], 60 + n / 50)
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        bcpu = cpu_seconds(broker_pid) - bcpu0 if broker_pid else None
        spy.stop()
        if t1 is None:
            raise RuntimeError(f"{kind}: not every article came through (see {data_dir})")
        rate = n / (t1 - t0)
        say(f"{kind} x{workers}: {rate:,.0f} articles/s (produce took {sent:.2f} s)")
        return {
            "rate": rate,
            "cpu_ms_per_article": 1000 * cpu / n,
            "broker_cpu_ms_per_article": None if bcpu is None else 1000 * bcpu / n,
            "busy_share": cpu / (t1 - t0) / len(procs),
            "produce_s": sent,
        }
    finally:
        stop(procs)
        await prod.stop()
        await arrivals.stop()


async def paced(prod: Any, topic: str, items: list[tuple[bytes, bytes]], rate: float) -> dict:
    sent_at: dict[str, float] = {}
    futures = []
    t_start = time.perf_counter()
    i = 0
    while i < len(items):
        due = min(len(items), int((time.perf_counter() - t_start) * rate) + 1)
        while i < due:
            key, value = items[i]
            sent_at[key.decode()] = time.time()
            futures.append(await prod.send(topic, value, key=key))
            i += 1
        await asyncio.sleep(0.001)
    await asyncio.gather(*futures)
    return sent_at


async def latency(
    bootstrap: str,
    rates: list[tuple[float, float]],
    data_dir: Path,
    wait_ms: int = 10,
    kind: str = "ours",
    tree: Path | None = None,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """publish → enriched latency (ms) per offered rate, ``workers`` processes of ``kind``
    (ours or forward); ``rates`` are (articles/s, seconds) pairs run one after the other."""
    prefix = await fresh_topics(bootstrap, f"lat{kind}{wait_ms}x{workers}")
    arrivals = Arrivals(bootstrap, f"{prefix}events", id_of="event" if kind == "ours" else "key")
    await arrivals.start()
    prod = producer(bootstrap)
    await prod.start()
    procs = start(kind, bootstrap, prefix, data_dir, workers, wait_ms, tree)
    rows = []
    try:
        await warm_up(prod, arrivals, prefix, workers, f"latency ({data_dir})")
        for k, (rate, seconds) in enumerate(rates):
            n = int(rate * seconds)
            items = make_articles(n, f"{prefix}r{k}", seed=20 + k)
            sent_at = await paced(prod, f"{prefix}articles", encoded(items), rate)
            ids = list(sent_at)
            last = await arrivals.wait_for(ids, 60 + n / 50)
            got = [1000 * (arrivals.seen[i] - sent_at[i]) for i in ids if i in arrivals.seen]
            first = min(sent_at.values())
            row = {
                "kind": kind,
                "workers": workers,
                "offered_per_s": rate,
                "fetch_max_wait_ms": wait_ms,
                "articles": n,
                "received": len(got),
                "achieved_per_s": n / (last - first) if last else None,
                "p50_ms": percentile(got, 50),
                "p95_ms": percentile(got, 95),
                "p99_ms": percentile(got, 99),
            }
            say(
                f"latency {kind} {rate:.0f}/s wait {wait_ms} ms: p50 {row['p50_ms']:.0f} p95 "
                f"{row['p95_ms']:.0f} p99 {row['p99_ms']:.0f} ms ({len(got)}/{n})"
            )
            rows.append(row)
            await asyncio.sleep(0.5)
    finally:
        stop(procs)
        await prod.stop()
        await arrivals.stop()
    return rows


async def idle_cpu(
    bootstrap: str, data_dir: Path, wait_ms: int, broker_pid: int, seconds: float = 5.0
) -> dict[str, float]:
    """CPU share (of one core) that an idle worker and the broker burn at a fetch wait:
    the price of a short wait is a fetch round trip per wait even with nothing to read."""
    prefix = await fresh_topics(bootstrap, f"idle{wait_ms}")
    arrivals = Arrivals(bootstrap, f"{prefix}events")
    await arrivals.start()
    prod = producer(bootstrap)
    await prod.start()
    procs = start("ours", bootstrap, prefix, data_dir, 1, wait_ms)
    try:
        warm = make_articles(5, f"{prefix}w")
        await send_all(prod, f"{prefix}articles", encoded(warm))
        if await arrivals.wait_for([a.article_id for a in warm], 120) is None:
            raise RuntimeError(f"idle: warm-up did not come through (see {data_dir})")
        await arrivals.stop()  # its own fetches would count as the broker's idle work
        await asyncio.sleep(1.0)
        w0, b0, t0 = cpu_seconds(procs[0].pid), cpu_seconds(broker_pid), time.monotonic()
        await asyncio.sleep(seconds)
        dt = time.monotonic() - t0
        worker = (cpu_seconds(procs[0].pid) - w0) / dt
        broker = (cpu_seconds(broker_pid) - b0) / dt
        say(f"idle at fetch wait {wait_ms} ms: worker {worker:.1%}, broker {broker:.1%} of a core")
        return {
            "fetch_max_wait_ms": wait_ms,
            "worker_core_share": worker,
            "broker_core_share": broker,
        }
    finally:
        stop(procs)
        await prod.stop()
        await arrivals.stop()
