"""`make bench`: every performance figure of newsstream in one run, one table on stdout,
the same figures (each with its unit) in benchmarks/results.json. Progress on stderr.

    .venv/bin/python benchmarks/run.py            # the full run (~5 min on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # small sizes, to check the harness
    .venv/bin/python benchmarks/run.py --only stages,poller --profile /tmp/prof

Sections: stages (parse, normalise, cluster, classify + extract, memory per remembered
article), poller capacity, worker throughput against two baselines (bare aiokafka loop,
forwarding faust agent) and 1 → 2 workers, publish → enriched latency under a paced load,
and freshness (feed → Slack) with WebSub push and with polling. docs/performance.md
explains each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import orjson  # noqa: E402
from common import Results, machine, say  # noqa: E402

SECTIONS = ("stages", "poller", "throughput", "latency", "freshness")


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"bare": 3000, "forward": 2000, "ours": 400,
                "rates": [(100, 2), (500, 1), (2000, 0.5)], "slow": (100, 2),
                "push": 2, "poll": 2, "poll_s": 3.0, "feeds": 300, "poll_seconds": 1.0}  # fmt: skip
    return {"bare": 20_000, "forward": 10_000, "ours": 3000,
            "rates": [(100, 10), (500, 6), (2000, 3)], "slow": (100, 5),
            "push": 6, "poll": 6, "poll_s": 5.0, "feeds": 2000, "poll_seconds": 3.0}  # fmt: skip


def guarded(res: Results, section: str, fn: Callable[[], None]) -> None:
    t = time.monotonic()
    try:
        fn()
    except Exception as exc:  # one broken section must not hide the others' figures
        say(f"{section} FAILED: {type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
        res.add(section, "failed", None, "", f"{type(exc).__name__}: {exc}"[:120])
    res.extra.setdefault("section_seconds", {})[section] = round(time.monotonic() - t, 1)


def stages_section(res: Results, quick: bool) -> None:
    import stages

    m = stages.measure(quick)
    pn, cl, cu = m["parse_normalise"], m["classify"], m["cluster"]
    res.add("stage", "parse (50-item RSS, 107 KB)", pn["parse_items_per_s"], "articles/s")
    res.add("stage", "normalise", pn["normalise_items_per_s"], "articles/s")
    upstream = f"{cu['assign_fingerprinted_per_s']:,.0f}/s if fingerprinted upstream"
    name = f"cluster (assign, {cu['remembered']:,} remembered)"
    res.add("stage", name, cu["assign_per_s"], "articles/s", upstream)
    res.add("stage", "classify + extract (~1 KB)", cl["rate"], "articles/s",
            f"{cl['categorised']:.0%} categorised")  # fmt: skip
    res.add("memory", "story index per remembered article", cu["bytes_per_article"], "bytes",
            f"at {cu['remembered']:,} remembered")  # fmt: skip
    res.extra["stages"] = m


def poller_section(res: Results, s: dict[str, Any]) -> None:
    import bench_poller
    import stages

    say("poller: mostly-304 and all-changed runs")
    m = bench_poller.measure(s["feeds"], 100, s["poll_seconds"])
    a, c = m["mostly_304"], m["all_changed"]
    res.add("poller", f"feeds/s, mostly 304 ({s['feeds']:,} feeds)", a["polls_per_s"], "feeds/s",
            f"CPU-bound capacity {1000 / a['cpu_per_poll_ms']:,.0f}/s")  # fmt: skip
    res.add("poller", "changed 50-item feeds/s", c["polls_per_s"], "feeds/s",
            f"CPU {c['cpu_per_poll_ms']:.1f} ms per feed")  # fmt: skip
    parse_ms = stages.parse_ms(bench_poller.feed_doc(0, 1))
    res.add("poller", "parse share of a changed feed's CPU", 100 * parse_ms / c["cpu_per_poll_ms"],
            "%", f"parse_feed alone: {parse_ms:.1f} ms of the same document")  # fmt: skip
    res.extra["poller"] = m


def throughput_section(res: Results, s: dict[str, Any], broker: Any, data: Path,
                       profile: Path | None) -> None:  # fmt: skip
    import pipeline
    import profile_summary
    import worker_core

    out: dict[str, Any] = {}
    runs = [("bare", 1, s["bare"]), ("forward", 1, s["forward"]),
            ("forward_work", 1, s["ours"]), ("ours", 1, s["ours"]),
            ("ours", 2, s["ours"])]  # fmt: skip
    for kind, workers, n in runs:
        spy = profile / f"{kind}-x{workers}.txt" if profile and workers == 1 else None
        key = f"{kind}_x{workers}"
        out[key] = asyncio.run(pipeline.throughput(
            broker.bootstrap, kind, n, data / key, workers, profile=spy, broker_pid=broker.proc.pid
        ))  # fmt: skip
        if spy is not None and spy.exists():
            summary = profile_summary.summarise(spy)
            out[key]["profile"] = summary
            say(f"profile of {key}:\n{profile_summary.render(summary)}")
    labels = {"bare_x1": "bare aiokafka consume → produce", "forward_x1": "faust forwarding agent",
              "forward_work_x1": "faust agent doing our work in one hop, no tables",
              "ours_x1": "our worker, raw → enriched (1 process)",
              "ours_x2": "our worker, raw → enriched (2 processes)"}  # fmt: skip
    for key, label in labels.items():
        r = out[key]
        res.add("worker", label, r["rate"], "articles/s",
                f"CPU ms/article: {r['cpu_ms_per_article']:.2f} process(es), "
                f"{r['broker_cpu_ms_per_article']:.2f} broker")  # fmt: skip
    ours = out["ours_x1"]["rate"]
    core = worker_core.measure(s["ours"], 3)
    parts = ", ".join(f"{k} {v:.0f}" for k, v in core["parts_us"].items())
    res.add("worker", "same work in one loop, no Kafka (ceiling)", core["rate"], "articles/s",
            f"µs/article: {parts}")  # fmt: skip
    res.add("worker", "ours / no-Kafka ceiling", ours / core["rate"], "ratio",
            "the share of the ceiling faust + Kafka leave us")  # fmt: skip
    out["core"] = core
    res.add("worker", "ours / forwarding agent", ours / out["forward_x1"]["rate"], "ratio",
            "aim >= 0.9")  # fmt: skip
    res.add("worker", "ours / bare loop", ours / out["bare_x1"]["rate"], "ratio", "aim >= 0.5")
    res.add("worker", "ours / faust agent doing our work", ours / out["forward_work_x1"]["rate"],
            "ratio", "like for like: the cost of our tables and second hop")  # fmt: skip
    res.add("scaling", "2 workers / 1 worker (4 partitions)", out["ours_x2"]["rate"] / ours,
            "ratio", "2 cores shared with broker + driver")  # fmt: skip
    res.extra["throughput"] = out


def latency_section(res: Results, s: dict[str, Any], broker: Any, data: Path) -> None:
    import pipeline

    bootstrap = broker.bootstrap
    rows = asyncio.run(pipeline.latency(bootstrap, s["rates"], data / "lat10", 10))
    rows += asyncio.run(pipeline.latency(bootstrap, [s["slow"]], data / "lat1500", 1500))
    # the understand stage shared by two worker processes (the story stage stays on one)
    rows += asyncio.run(pipeline.latency(bootstrap, [s["rates"][1]], data / "lat2w", 10, workers=2))
    fwd = s["rates"][1:]  # the hop's floor: faust alone, where it has the capacity
    rows += asyncio.run(pipeline.latency(bootstrap, fwd, data / "latfwd", 10, "forward"))
    for r in rows:
        rate, wait = r["offered_per_s"], r["fetch_max_wait_ms"]
        who = "publish → enriched" if r["kind"] == "ours" else "forwarding agent, one hop,"
        if r["workers"] > 1:
            who += f" ({r['workers']} workers)"
        name = f"{who} at {rate:.0f}/s, fetch wait {wait} ms"
        achieved = r["achieved_per_s"]
        note = f"p50 {r['p50_ms']:.0f} / p95 {r['p95_ms']:.0f} ms; achieved {achieved or 0:.0f}/s"
        res.add("latency", name + " p99", r["p99_ms"], "ms", note)
    idle = []
    for wait in (10, 1500):
        i = asyncio.run(pipeline.idle_cpu(bootstrap, data / f"idle{wait}", wait, broker.proc.pid))
        idle.append(i)
        res.add("idle", f"idle worker + broker CPU, fetch wait {wait} ms",
                100 * (i["worker_core_share"] + i["broker_core_share"]), "% of a core",
                f"worker {100 * i['worker_core_share']:.1f} %, broker "
                f"{100 * i['broker_core_share']:.1f} %")  # fmt: skip
    res.extra["idle"] = idle
    res.extra["latency"] = rows


def freshness_section(res: Results, s: dict[str, Any], bootstrap: str, data: Path) -> None:
    import freshness

    m = asyncio.run(freshness.measure(bootstrap, data / "fresh", s["push"], s["poll"], s["poll_s"]))
    res.add("freshness", "feed → Slack, WebSub push p50", m["push_p50_s"], "s",
            f"max {m['push_max_s']:.2f} s over {s['push']} items; aim p50 <= 1 s")  # fmt: skip
    note = f"max {m['poll_max_s']:.2f} s over {s['poll']} items; aim <= interval + 1 s"
    name = f"feed → Slack, polling every {s['poll_s']:.0f} s p50"
    res.add("freshness", name, m["poll_p50_s"], "s", note)
    res.extra["freshness"] = m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (harness check)")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    ap.add_argument("--profile", type=Path, default=None, help="py-spy profiles into this dir")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    if unknown := only - set(SECTIONS):
        ap.error(f"unknown sections: {', '.join(sorted(unknown))}")
    s = sizes(args.quick)
    res = Results()
    res.extra["machine"] = machine()
    res.extra["quick"] = args.quick
    facts = res.extra["machine"]
    say(f"machine: {facts['nproc']} cores, load {facts['load_avg_at_start']}")
    t0 = time.monotonic()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if "stages" in only:
        guarded(res, "stages", lambda: stages_section(res, args.quick))
    if "poller" in only:
        guarded(res, "poller", lambda: poller_section(res, s))
    if only & {"throughput", "latency", "freshness"}:
        from streams.broker import EmbeddedBroker

        data = Path(tempfile.mkdtemp(prefix="newsstream-bench-"))
        broker = EmbeddedBroker()
        broker.start()
        say(f"embedded broker at {broker.bootstrap}; logs in {data}")
        try:
            if "throughput" in only:
                guarded(res, "throughput",
                        lambda: throughput_section(res, s, broker, data, args.profile))  # fmt: skip
            if "latency" in only:
                guarded(res, "latency", lambda: latency_section(res, s, broker, data))
            if "freshness" in only:
                guarded(res, "freshness", lambda: freshness_section(res, s, broker.bootstrap, data))
        finally:
            broker.stop()
        if not any(f.name == "failed" for f in res.figures):
            shutil.rmtree(data, ignore_errors=True)
    res.extra["total_seconds"] = round(time.monotonic() - t0, 1)
    res.extra["machine"]["load_avg_at_end"] = list(__import__("os").getloadavg())
    print(res.table())
    args.out.write_bytes(orjson.dumps(res.to_json(), option=orjson.OPT_INDENT_2))
    say(f"done in {res.extra['total_seconds']:.0f} s; figures in {args.out}")
    return 1 if any(f.name == "failed" for f in res.figures) else 0


if __name__ == "__main__":
    sys.exit(main())
