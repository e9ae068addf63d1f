"""Structured logs with stable keys.

Call sites pass facts as ``extra={"feed_url": ..., "article_id": ...}``. With
``NEWSSTREAM_LOG_FORMAT=json`` every line is one JSON object; otherwise
``time level logger message key=value ...``. Keys in use: feed_url, article_id,
story_id, alert_id, topic, partition, offset, destination, error.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        # non-str keys (e.g. {partition: offset}) are facts too, not a reason to lose the line
        return orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = (
            f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} "
            f"{record.name}: {record.getMessage()}"
        )
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class RepeatFilter(logging.Filter):
    """Let one line of a kind through per ``window`` seconds from chatty client libraries.

    While a broker is away, aiokafka logs the same connection error many times a second
    from every client; an operator needs to see it once, with how many were folded."""

    def __init__(self, prefixes: tuple[str, ...], window: float = 10.0) -> None:
        super().__init__()
        self.prefixes, self.window = prefixes, window
        self._last: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key = (record.name, record.msg)
        now = record.created
        seen = self._last.get(key)
        if seen is not None and now - seen[0] < self.window:
            self._last[key] = (seen[0], seen[1] + 1)
            return False
        if seen is not None and seen[1]:
            record.msg = f"{record.msg} [{seen[1]} similar lines folded in {self.window:.0f}s]"
        self._last[key] = (now, 0)
        if len(self._last) > 1000:
            self._last.clear()
        return True


def configure(level: str = "INFO", fmt: str = "text") -> None:
    import time

    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RepeatFilter(("aiokafka", "kafka", "faust.transport")))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "faust", "mode", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"newsstream.{name}")
