"""Subcommands of ``newsstream`` beyond the broker: the services, the demo and the
batch commands. Each imports its area lazily."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import click
import orjson

from streams.cli import _settings as settings_from
from streams.cli import bootstrap_opt, cli, friendly_errors
from streams.progress import Progress


@cli.command()
@bootstrap_opt
@click.option(
    "--config",
    "feeds_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Feeds file (default: the bundled offline demo).",
)
@click.option("--taxonomy", "taxonomy_file", type=click.Path(path_type=Path), default=None)
@click.option("--alerts", "alerts_file", type=click.Path(path_type=Path), default=None)
@click.option("--workers", type=int, default=None, help="Faust worker processes.")
@click.option("--partitions", type=int, default=None, help="Partitions per topic (default 4).")
@click.option("--gateway-port", type=int, default=None)
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
@click.option("--demo-speed", type=float, default=1.0, help="Demo clock multiplier.")
@friendly_errors
def run(demo_speed: float, **overrides: Any) -> None:
    """Run the whole pipeline: broker, topics, poller, workers, notifier, gateway."""
    from streams.runner import run_pipeline

    s = settings_from(kafka_bootstrap=overrides.pop("bootstrap"), **overrides)
    sys.exit(run_pipeline(s, demo_speed=demo_speed))


@cli.command()
@click.option("--index", type=int, default=0, help="Worker number (its data dir and web port).")
@friendly_errors
def worker(index: int) -> None:
    """Run one faust stream worker (needs NEWSSTREAM_KAFKA_BOOTSTRAP)."""
    from streams.worker.app import run_worker

    run_worker(settings_from(), index)


@cli.command()
@friendly_errors
def poller() -> None:
    """Run the feed poller."""
    from streams.ingest.service import run_poller

    s = settings_from()
    asyncio.run(run_poller(s, s.feeds_file))


@cli.command()
@friendly_errors
def notifier() -> None:
    """Run the notifier: deliver alerts to Slack, webhooks and the console."""
    from streams.deliver.notifier import run_notifier

    s = settings_from()
    asyncio.run(run_notifier(s, s.alerts_file))


@cli.command()
@friendly_errors
def gateway() -> None:
    """Run the gateway: live page, SSE/WebSocket alerts, API."""
    from streams.gateway.mounts import extra_routes
    from streams.gateway.service import run_gateway

    s = settings_from()
    websub = None
    if s.feeds_file is not None:
        from streams.ingest.config import load_feeds

        websub = load_feeds(s.feeds_file).poller.websub_listen
    asyncio.run(run_gateway(s, extra_routes=extra_routes(s, websub)))


@cli.command("demo-feeds")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--speed", type=float, default=1.0, show_default=True)
@friendly_errors
def demo_feeds(port: int, speed: float) -> None:
    """Serve the bundled demo feeds on loopback."""
    from aiohttp import web

    from streams.demo.server import DemoFeeds

    settings_from()
    feeds = DemoFeeds(f"http://127.0.0.1:{port}", speed=speed)
    web.run_app(
        feeds.app(), host="127.0.0.1", port=port, print=None, handle_signals=True, access_log=None
    )


# ---- batch commands: the same code as the stream workers ------------------------------


def _to_stderr(message: str) -> None:
    click.echo(message, err=True)


def read_json_lines(
    stream: IO[bytes], what: str, warn: Callable[[str], None] = _to_stderr
) -> Iterator[dict[str, Any]]:
    """Yield each JSON object line; report a bad line on stderr and go on."""
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            warn(f"{what}: line {n}: not JSON ({exc}); skipped")
            continue
        if not isinstance(rec, dict):
            warn(f"{what}: line {n}: not a JSON object; skipped")
            continue
        yield rec


def write_json_lines(records: Iterable[dict[str, Any]], progress: Progress | None = None) -> int:
    """Write each record as a JSON line; ``progress`` counts them (shown on a terminal)."""
    out = sys.stdout.buffer
    n = 0
    for rec in progress.track(records) if progress is not None else records:
        out.write(orjson.dumps(rec, default=_default) + b"\n")
        n += 1
    out.flush()
    return n


def _default(obj: Any) -> Any:
    if hasattr(obj, "__slots__"):
        return {k: getattr(obj, k) for k in obj.__slots__}
    raise TypeError


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@friendly_errors
def parse(inputs: tuple[str, ...]) -> None:
    """Parse feeds (files, URLs or - for stdin) into one JSON line per article."""
    from streams.ingest.batch import parse_paths

    settings_from()
    progress = Progress("parse", unit="articles")

    def articles() -> Iterator[dict[str, Any]]:
        for rec in parse_paths(inputs):
            if "error" in rec:  # a bad input is reported and skipped; the rest goes on
                progress.say(f"parse: {rec.get('feed') or '-'}: {rec['error']}")
                continue
            yield rec

    write_json_lines(articles(), progress)


@cli.command()
@click.option("--window-hours", type=float, default=72.0, show_default=True)
@friendly_errors
def cluster(window_hours: float) -> None:
    """Read JSON-lines articles on stdin; write each back with story_id and duplicate_of."""
    from streams.stories import cluster_records

    settings_from()
    progress = Progress("cluster", unit="articles")
    records = read_json_lines(sys.stdin.buffer, "cluster", progress.say)
    write_json_lines(cluster_records(records, window_hours=window_hours), progress)


@cli.command()
@click.option("--taxonomy", type=click.Path(path_type=Path), default=None)
@click.option("--explain", is_flag=True, help="Say why, in words.")
@friendly_errors
def classify(taxonomy: Path | None, explain: bool) -> None:
    """Read JSON-lines articles on stdin; add categories, figures, places, severity."""
    from streams.understand import Analyzer, classify_record

    settings_from()
    analyzer = Analyzer.from_file(taxonomy) if taxonomy else Analyzer.default()

    progress = Progress("classify", unit="articles")

    def records() -> Iterator[dict[str, Any]]:
        for rec in read_json_lines(sys.stdin.buffer, "classify", progress.say):
            if not isinstance(rec.get("title"), str):
                progress.say("classify: a line without a string `title`; skipped")
                continue
            yield classify_record(analyzer, rec, explain=explain)

    write_json_lines(records(), progress)


@cli.command("eval")
@click.option("--taxonomy", type=click.Path(path_type=Path), default=None)
@click.option("--set", "eval_set", type=click.Path(path_type=Path), default=None)
@friendly_errors
def eval_cmd(taxonomy: Path | None, eval_set: Path | None) -> None:
    """Per-category precision, recall and F1 of the classifier on our evaluation set."""
    from streams.understand import Analyzer, evaluate, format_report

    settings_from()
    analyzer = Analyzer.from_file(taxonomy) if taxonomy else Analyzer.default()
    path = eval_set or Path(__file__).resolve().parent.parent / "tests/eval/understand_eval.jsonl"
    click.echo(format_report(evaluate(analyzer, path)))


# ---- feeds --------------------------------------------------------------------------


@cli.group()
def feeds() -> None:
    """Feed list: status, OPML import and export."""


def _feeds_path(path: Path | None) -> Path:
    from streams.settings import load_settings

    chosen = path or load_settings().feeds_file or Path("config/feeds.yaml")
    return Path(chosen)


@feeds.command("status")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@friendly_errors
def feeds_status(as_json: bool) -> None:
    """Each feed: last success, last error, items seen, interval, next poll, stale."""
    from streams.ingest.health import format_table, read_snapshot

    s = settings_from()
    snap = read_snapshot(Path(s.data_dir) / "feeds-status.json")
    if as_json:
        click.echo(orjson.dumps(snap, option=orjson.OPT_INDENT_2).decode())
        return
    if not snap.get("feeds"):
        click.echo(f"no feed status yet in {s.data_dir} (is the poller running?)")
        return
    click.echo(f"as of {snap.get('generated_at')}")
    click.echo(format_table(snap["feeds"]))


@feeds.command("import")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--into",
    type=click.Path(path_type=Path),
    default=None,
    help="Feeds file to add to (default: NEWSSTREAM_FEEDS_FILE or config/feeds.yaml).",
)
@friendly_errors
def feeds_import(opml: Path, into: Path | None) -> None:
    """Add the feeds of an OPML file to the feeds file (known URLs are skipped)."""
    import yaml

    from streams.ingest.config import load_feeds
    from streams.ingest.opml import import_opml

    target = _feeds_path(into)
    found = import_opml(opml.read_bytes())
    doc: dict[str, Any] = {"feeds": []}
    known: set[str] = set()
    if target.exists():
        load_feeds(target)  # refuse to append to a broken file
        doc = yaml.safe_load(target.read_text()) or {"feeds": []}
        doc.setdefault("feeds", [])
        known = {str(f.get("url")) for f in doc["feeds"] if isinstance(f, dict)}
    added = 0
    for feed in found:
        if feed.url in known:
            continue
        known.add(feed.url)
        doc["feeds"].append(feed.model_dump(exclude_defaults=True))
        added += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    load_feeds(tmp)  # what we write must load
    tmp.replace(target)
    click.echo(f"{added} feeds added to {target} ({len(found) - added} already there)")


@feeds.command("export")
@click.option("--from", "source", type=click.Path(path_type=Path), default=None)
@friendly_errors
def feeds_export(source: Path | None) -> None:
    """Write the feeds file as OPML to stdout."""
    from streams.ingest.config import load_feeds
    from streams.ingest.opml import export_opml

    cfg = load_feeds(_feeds_path(source))
    sys.stdout.buffer.write(export_opml(cfg.feeds))


# ---- mutes ----------------------------------------------------------------------------


@cli.group()
def mute() -> None:
    """Mute a story or an entity (place, country, outlet, keyword) for a time."""


@mute.command("story")
@click.argument("story_id")
@click.option("--for", "duration", default="2h", show_default=True)
@click.option("--reason", default="")
@friendly_errors
def mute_story(story_id: str, duration: str, reason: str) -> None:
    from streams.deliver.mute_store import mute_command

    click.echo(mute_command(settings_from(), "story", story_id, duration, reason))


@mute.command("entity")
@click.argument("name")
@click.option("--for", "duration", default="1d", show_default=True)
@click.option("--reason", default="")
@friendly_errors
def mute_entity(name: str, duration: str, reason: str) -> None:
    from streams.deliver.mute_store import mute_command

    click.echo(mute_command(settings_from(), "entity", name, duration, reason))


@mute.command("list")
@friendly_errors
def mute_list() -> None:
    from streams.deliver.mute_store import list_mutes_command

    click.echo(list_mutes_command(settings_from()))


@mute.command("remove")
@click.argument("kind", type=click.Choice(["story", "entity"]))
@click.argument("value")
@friendly_errors
def mute_remove(kind: str, value: str) -> None:
    from streams.deliver.mute_store import unmute_command

    click.echo(unmute_command(settings_from(), kind, value))
