"""The batch commands run the same code as the stream workers, over files and pipes."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.integration.test_cli_errors import newsstream

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def lines(out: bytes) -> list[dict]:
    return [orjson.loads(line) for line in out.splitlines() if line.strip()]


def test_parse_many_files_names_each_feed_and_skips_bad_inputs() -> None:
    good = ["rss20.xml", "atom10.xml", "jsonfeed11.json", "rss10.xml"]
    args = [str(FEEDS / g) for g in good] + [str(FEEDS / "not_a_feed.html"), "/nonexistent.xml"]
    result = newsstream("parse", *args)
    assert result.returncode == 0, result.stderr.decode()
    records = lines(result.stdout)
    assert {Path(r["feed"]).name for r in records} == set(good)
    assert all(r["article_id"] and r["content_hash"] for r in records)
    err = result.stderr.decode()
    assert "not_a_feed.html" in err and "nonexistent.xml" in err and "Traceback" not in err


def test_parse_reads_stdin() -> None:
    result = newsstream("parse", "-", stdin=(FEEDS / "rss20.xml").read_bytes())
    assert result.returncode == 0 and lines(result.stdout)
    assert all(r["feed"] == "-" for r in lines(result.stdout))


def test_cluster_puts_one_event_from_three_outlets_in_one_story() -> None:
    from streams.demo.server import load_demo

    _, articles = load_demo()
    rows = [
        {"title": a.title, "summary": a.summary, "source": a.outlet, "url": f"https://x/{a.id}"}
        for a in articles
    ]
    rows.append(dict(rows[0]))  # an exact repeat
    body = b"".join(orjson.dumps(r) + b"\n" for r in rows) + b"garbage\n"
    result = newsstream("cluster", stdin=body)
    assert result.returncode == 0, result.stderr.decode()
    out = lines(result.stdout)
    assert len(out) == len(rows)
    by_url = {r["url"].rsplit("/", 1)[1]: r for r in out[:-1]}
    strike = {
        by_url[i]["story_id"]
        for i in ("nl-izhevsk-strike", "mw-izhevsk-strike", "hd-izhevsk-strike")
    }
    assert len(strike) == 1
    assert by_url["nl-bryansk-depot"]["story_id"] not in strike
    assert by_url["hd-bike-lanes"]["story_id"] not in strike
    assert out[-1]["duplicate_of"] is not None
    assert "line" in result.stderr.decode()


def test_classify_explain_says_why() -> None:
    result = newsstream(
        "classify",
        "--explain",
        stdin=b'{"title": "Missiles struck an ammunition depot, killing 4"}\n',
    )
    assert result.returncode == 0, result.stderr.decode()
    (rec,) = lines(result.stdout)
    assert rec["categories"][0]["name"] == "strike"
    assert any(f["kind"] == "killed" and f["value"] == 4 for f in rec["figures"])
    assert "strike" in rec["explanation"]
