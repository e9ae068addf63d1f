"""Typed access to a parsed YAML document that names the key of every mistake. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streams.alerts.durations import parse_duration
from streams.errors import ConfigError

if TYPE_CHECKING:
    from streams.alerts.rules import SecretRef


class Reader:
    """Typed access to the parsed YAML that names the key of every mistake."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(self.file, key, reason)

    def mapping(self, raw: Any, at: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(at or "(top level)", "must be a mapping")
        if allowed is not None:
            for key in raw:
                if key not in allowed:
                    where = f"{at}.{key}" if at else str(key)
                    raise self.fail(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return raw

    def string(self, d: dict[str, Any], key: str, at: str, required: bool = False) -> str:
        value = d.get(key)
        if value is None:
            if required:
                raise self.fail(f"{at}.{key}", "required")
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{at}.{key}", "must be a non-empty string")
        return value.strip()

    def strings(self, d: dict[str, Any], key: str, at: str) -> list[str]:
        value = d.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(f"{at}.{key}", "must be a list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
                raise self.fail(f"{at}.{key}[{i}]", "must be a non-empty string")
        return [str(v).strip() for v in value]

    def number(
        self, value: Any, at: str, low: float | None = None, high: float | None = None
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(at, f"must be a number, got {value!r}")
        if low is not None and value < low:
            raise self.fail(at, f"must be >= {low:g}, got {value!r}")
        if high is not None and value > high:
            raise self.fail(at, f"must be <= {high:g}, got {value!r}")
        return float(value)

    def duration(self, value: Any, at: str) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.fail(at, str(exc)) from None

    def secret(self, d: dict[str, Any], name: str, at: str, required: bool) -> SecretRef | None:
        if d.get(name) is not None:
            raise self.fail(
                f"{at}.{name}",
                f"secrets are never inline: use {name}_env (a variable name) or {name}_file",
            )
        env = self.string(d, f"{name}_env", at) or None
        file = self.string(d, f"{name}_file", at) or None
        if env and file:
            raise self.fail(f"{at}.{name}_env", f"give {name}_env or {name}_file, not both")
        if env and not is_env_name(env):
            raise self.fail(f"{at}.{name}_env", f"{env!r} is not an environment variable name")
        if required and not (env or file):
            raise self.fail(f"{at}.{name}_env", f"required: {name}_env or {name}_file")
        from streams.alerts.rules import SecretRef

        return SecretRef(env=env, file=file) if env or file else None


def is_env_name(value: str) -> bool:
    return value.replace("_", "a").isalnum() and not value[0].isdigit() and value.isascii()
