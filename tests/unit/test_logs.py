"""Log lines: one JSON object per line in json mode, stable keys, third-party loggers too."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson
import pytest

from streams.logs import configure, get_logger


@pytest.fixture(autouse=True)
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_trail_keys(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "json")
    keys = {
        "feed_url": "https://ledger.example/rss",
        "article_id": "a-1",
        "story_id": "s-1",
        "alert_id": "s-1:0",
        "topic": "newsstream.alerts",
        "partition": 2,
        "offset": 41,
        "destination": "slack",
    }
    get_logger("notifier").info("delivered", extra=keys)
    get_logger("notifier").debug("not shown at INFO")
    (line,) = capsys.readouterr().err.splitlines()
    doc = orjson.loads(line)
    assert doc["msg"] == "delivered" and doc["level"] == "info"
    assert doc["logger"] == "newsstream.notifier"
    assert {k: doc[k] for k in keys} == keys
    assert doc["ts"].endswith("Z")


@pytest.mark.parametrize("name", ["faust.worker", "mode.services", "aiokafka.conn", "aiohttp"])
def test_other_libraries_log_as_json_too(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger(name).exception("it broke: %s", "badly")
    (line,) = capsys.readouterr().err.splitlines()  # the traceback stays inside the object
    doc = orjson.loads(line)
    assert doc["logger"] == name and doc["msg"] == "it broke: badly"
    assert "ValueError: boom" in doc["exc"]


def test_json_survives_facts_with_int_keys(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "json")
    get_logger("gateway").info("alert tail connected", extra={"positions": {0: 12, 1: 7}})
    doc = orjson.loads(capsys.readouterr().err)
    assert doc["positions"] == {"0": 12, "1": 7}


def test_text_mode_keeps_keys_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "text")
    get_logger("worker").info("story decision", extra={"article_id": "a-1", "story_id": "s-9"})
    line = capsys.readouterr().err.strip()
    assert "newsstream.worker: story decision" in line
    assert line.endswith("article_id=a-1 story_id=s-9")


def test_repeat_filter_folds_a_flood_of_library_errors() -> None:
    import logging

    from streams.logs import RepeatFilter

    f = RepeatFilter(("aiokafka",), window=10.0)

    def rec(name: str, msg: str, at: float) -> logging.LogRecord:
        r = logging.LogRecord(name, logging.ERROR, "", 0, msg, (), None)
        r.created = at
        return r

    passed = [
        f.filter(rec("aiokafka", "Unable connect to node %s", 100.0 + i / 10)) for i in range(50)
    ]
    assert passed.count(True) == 1
    later = rec("aiokafka", "Unable connect to node %s", 111.0)
    assert f.filter(later) and "49 similar lines folded" in str(later.msg)
    assert all(f.filter(rec("newsstream.worker", "same", 100.0)) for _ in range(5))
