"""The JSON Schema of every topic, generated from the message types in streams/events.py.

``python -m streams.schemas.generate`` rewrites the files beside this module; a test
fails when a file is out of date, so the published schemas cannot drift from the code.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter

from streams.events import Alert, Article, DeadLetter, EnrichedEvent, UnderstoodArticle

# file stem -> (message type, topics it describes)
SCHEMAS: dict[str, tuple[type, str]] = {
    "article": (Article, "<prefix>articles"),
    "enriched_event": (EnrichedEvent, "<prefix>events, <prefix>events.<category>"),
    "understood_article": (UnderstoodArticle, "<prefix>stories-in (internal)"),
    "alert": (Alert, "<prefix>alerts"),
    "deadletter": (DeadLetter, "<prefix>deadletter"),
}


def schema_for(stem: str) -> dict[str, Any]:
    cls, topics = SCHEMAS[stem]
    schema = TypeAdapter(cls).json_schema()
    # every message must say its version: required, and fixed for this file
    version = schema["properties"]["schema_version"]["default"]
    schema["properties"]["schema_version"] = {"const": version, "type": "integer"}
    schema["required"] = [*schema.get("required", []), "schema_version"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://newsstream.dev/schemas/{stem}.v1.json",
        "description": f"Topic {topics}. " + (schema.pop("description", "") or "").strip(),
        **schema,
    }


def load_schema(stem: str) -> dict[str, Any]:
    data = resources.files("streams.schemas").joinpath(f"{stem}.json").read_bytes()
    result: dict[str, Any] = orjson.loads(data)
    return result


def render(stem: str) -> bytes:
    return orjson.dumps(schema_for(stem), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def main() -> None:
    here = Path(__file__).resolve().parent
    for stem in SCHEMAS:
        (here / f"{stem}.json").write_bytes(render(stem))
        print(f"wrote {stem}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
