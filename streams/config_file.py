"""Reading a YAML config file (feeds, taxonomy, alert rules): one place that turns an
unreadable file or broken YAML into ``ConfigError(file, key, reason)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from streams.errors import ConfigError


def read_yaml(path: str | Path) -> Any:
    """The parsed document; ConfigError naming the file (and the line for bad YAML)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(file, "", "not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(file, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
