"""Small helpers shared by tests."""

from __future__ import annotations

from typing import Any

import jsonschema

from streams.schemas.generate import load_schema

_validators: dict[str, Any] = {}


def validate(stem: str, doc: Any) -> None:
    """Validate a real message against the JSON Schema file we publish for its topic."""
    v = _validators.get(stem)
    if v is None:
        schema = load_schema(stem)
        v = _validators[stem] = jsonschema.Draft202012Validator(schema)
    v.validate(doc)


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc), depth first."""
    out: list[int] = []
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except FileNotFoundError:
            continue
        out += kids
        stack += kids
    return out
