"""A mistake in config or input never shows a traceback: one line, file: key: reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def newsstream(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "streams", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env=dict(os.environ, **(env or {})),
    )


@pytest.mark.parametrize(
    ("flag", "content", "key"),
    [
        ("--config", "feeds:\n  - url: not a url\n    outlet: X\n", "feeds[0].url"),
        ("--config", "feeds: [\n", ""),
        ("--alerts", "rules:\n  - name: r\n    min_severity: eleven\n", "rules[0].min_severity"),
        (
            "--taxonomy",
            "categories:\n  strike:\n    patterns: ['(unclosed']\n",
            "categories.strike",
        ),
    ],
)
def test_bad_config_file_stops_start_with_file_key_reason(
    tmp_path: Path, flag: str, content: str, key: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    result = newsstream("run", flag, str(bad), "--data-dir", str(tmp_path / "d"))
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert err.startswith(f"error: {bad}"), err
    assert key in err, err


def test_bad_environment_value_names_the_variable() -> None:
    result = newsstream("run", env={"NEWSSTREAM_PARTITIONS": "-1"})
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    assert "NEWSSTREAM_PARTITIONS" in err


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    result = newsstream("run", "--config", str(tmp_path / "nope.yaml"))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err and "nope.yaml" in err


def test_classify_skips_bad_lines_and_goes_on() -> None:
    lines = (
        b'{"title": "Drones struck a fuel depot overnight, killing two"}\n'
        b"not json\n[1]\n"
        b'{"title": "Council approves bike lanes"}\n'
    )
    result = newsstream("classify", stdin=lines)
    assert result.returncode == 0, result.stderr.decode()
    out = [line for line in result.stdout.decode().splitlines() if line]
    assert len(out) == 2
    assert "line 2" in result.stderr.decode() and "line 3" in result.stderr.decode()
    assert '"strike"' in out[0] and '"strike"' not in out[1]
