"""Mutes on disk: a small JSON file under ``settings.data_dir`` shared by the CLI, the
gateway API and the notifier (which rereads it when its mtime moves).

Writes take an exclusive lock and replace the file atomically, so the CLI and the
gateway can both mute at once without losing each other's entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

from streams.alerts.durations import format_duration, parse_duration
from streams.alerts.mutes import MUTE_KINDS, Mute, MuteKind, Mutes
from streams.errors import ConfigError, InputError
from streams.settings import Settings

MUTES_FILE = "mutes.json"


class MuteStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._cached = Mutes()
        self._mtime: float | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> MuteStore:
        return cls(Path(settings.data_dir) / MUTES_FILE)

    def load(self) -> Mutes:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Mutes()
        except OSError as exc:
            raise ConfigError(str(self.path), "", f"cannot read: {exc.strerror}") from None
        try:
            return Mutes.from_json(orjson.loads(raw) if raw.strip() else [])
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise ConfigError(str(self.path), "", str(exc)) from None

    def current(self) -> Mutes:
        """The mutes in force, reread only when the file changed. A broken file keeps the
        last good set (the notifier must not stop delivering because of it)."""
        try:
            mtime: float | None = self.path.stat().st_mtime_ns / 1e9
        except OSError:
            mtime = None
        if mtime != self._mtime:
            with contextlib.suppress(ConfigError):
                self._cached = self.load() if mtime is not None else Mutes()
                self._mtime = mtime
        return self._cached

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, mutes: Mutes) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(mutes.to_json(), option=orjson.OPT_INDENT_2))
        os.replace(tmp, self.path)

    def mute(self, kind: MuteKind, value: str, seconds: float, reason: str = "") -> Mute:
        now = time.time()
        with self._locked():
            try:
                mutes = self.load().pruned(now).add(kind, value, seconds, now, reason)
            except ValueError as exc:
                raise InputError(str(exc)) from None
            self._save(mutes)
        found = next(
            m for m in mutes.active(now) if m.kind == kind and m.key[1] == _norm(kind, value)
        )
        return found

    def unmute(self, kind: MuteKind, value: str) -> bool:
        with self._locked():
            before = self.load()
            after = before.remove(kind, value)
            if len(after) == len(before):
                return False
            self._save(after)
        return True

    def active(self) -> list[Mute]:
        return self.load().active(time.time())


def _norm(kind: str, value: str) -> str:
    return value.strip() if kind == "story" else value.strip().casefold()


# ---- what the CLI calls (the lead wires `newsstream mute …` to these) ----------------


def _kind(kind: str) -> MuteKind:
    if kind not in MUTE_KINDS:
        raise InputError(f"mute what? {kind!r}: use `story` or `entity`")
    return kind  # type: ignore[return-value]


def mute_command(settings: Settings, kind: str, value: str, duration: str, reason: str = "") -> str:
    """``newsstream mute story s-abc --for 2h``: returns the line to print."""
    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        raise InputError(f"--for: {exc}") from None
    m = MuteStore.for_settings(settings).mute(_kind(kind), value, seconds, reason)
    return f"muted {m.kind} {m.value!r} for {format_duration(seconds)} (until {_when(m.until)})"


def unmute_command(settings: Settings, kind: str, value: str) -> str:
    if MuteStore.for_settings(settings).unmute(_kind(kind), value):
        return f"unmuted {kind} {value!r}"
    raise InputError(f"no mute on {kind} {value!r}")


def list_mutes_command(settings: Settings) -> str:
    """``newsstream mute list``: one line per active mute."""
    mutes = MuteStore.for_settings(settings).active()
    if not mutes:
        return "no active mutes"
    now = time.time()
    lines = [f"{'KIND':7} {'VALUE':32} {'LEFT':>8}  UNTIL (UTC)           REASON"]
    for m in mutes:
        left = format_duration(m.until - now)
        lines.append(f"{m.kind:7} {m.value[:32]:32} {left:>8}  {_when(m.until)}  {m.reason}")
    return "\n".join(lines)


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch))
