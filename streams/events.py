"""Message types that travel on our Kafka topics, in one place.

Every message is a JSON object (encoded with orjson) carrying ``schema_version``.
The JSON Schema of each topic lives beside this module in ``schemas/`` and is
documented in docs/events.md. A consumer must ignore fields it does not know;
a field is only ever removed or changes meaning with a new ``schema_version``.

Pure module: no Kafka, no HTTP.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import orjson

ARTICLE_SCHEMA_VERSION = 1
ENRICHED_SCHEMA_VERSION = 1
ALERT_SCHEMA_VERSION = 1
DEADLETTER_SCHEMA_VERSION = 1
# stories-in (internal) carries batches of UnderstoodArticle since version 2
UNDERSTOOD_BATCH_SCHEMA_VERSION = 2
MAX_BATCH_BYTES = 256 * 1024  # well under a broker's default 1 MiB message limit

ArticleKind = Literal["new", "updated"]


def utcnow_iso() -> str:
    """Now, as UTC ISO-8601 with a ``Z`` suffix and millisecond precision."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Article:
    """One feed item, normalised. Topic ``<prefix>articles``, key ``article_id``.

    ``article_id`` is decided once, at normalisation (see docs/events.md#article_id);
    every later stage trusts it.
    """

    article_id: str
    feed_url: str
    outlet: str
    url: str  # canonical URL ("" when the item has no link)
    title: str
    summary: str = ""
    content: str = ""
    link: str = ""  # the link exactly as the feed gave it
    guid: str | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    published: str = ""  # UTC ISO-8601; fetch time when the feed's date is unusable
    published_flag: str | None = None  # missing | unparseable | future | before_1990
    fetched_at: str = ""
    content_hash: str = ""  # hash of title + summary + content (normalised text)
    kind: ArticleKind = "new"
    changed_fields: list[str] = field(default_factory=list)  # for kind == "updated"
    feed_tags: list[str] = field(default_factory=list)
    schema_version: int = ARTICLE_SCHEMA_VERSION

    def text(self) -> str:
        """Title, summary and content joined: the text the understanding stage reads."""
        return "\n".join(p for p in (self.title, self.summary, self.content) if p)


@dataclass(slots=True)
class Evidence:
    """A phrase that made us believe something, with offsets into ``field``."""

    field: str  # title | summary | content
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Category:
    name: str
    score: float  # 0..1
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class Figure:
    """A number the article states: casualties, drones, distances, money.

    ``value`` is the best single number; ``low``/``high`` bound ranges;
    ``lower_bound`` is true for "at least N".
    """

    kind: str  # killed | injured | serious | missing | launched | intercepted | distance | money
    value: float
    text: str
    field: str
    start: int
    end: int
    unit: str | None = None  # km | mi | USD | drones | missiles | people ...
    low: float | None = None
    high: float | None = None
    lower_bound: bool = False
    approximate: bool = False
    attributed_to: str | None = None
    period: str | None = None  # "June", "overnight"...


@dataclass(slots=True)
class Place:
    name: str
    country_code: str | None
    lat: float | None
    lon: float | None
    kind: str  # country | region | city
    role: Literal["event", "mentioned"] = "mentioned"
    text: str = ""
    field: str = ""
    start: int = -1
    end: int = -1


@dataclass(slots=True)
class Attribution:
    name: str
    kind: Literal["outlet", "official", "agency", "other"]
    text: str
    field: str = ""
    start: int = -1
    end: int = -1


@dataclass(slots=True)
class Source:
    outlet: str
    url: str
    article_id: str
    syndicated: bool = False
    published: str = ""


@dataclass(slots=True)
class EnrichedEvent:
    """An article understood and placed in its story. Topic ``<prefix>events``
    (and ``<prefix>events.<category>``), key ``story_id``.
    """

    event_id: str  # article_id + ":" + content_hash[:12]: unique per article version
    kind: ArticleKind
    article: Article
    story_id: str
    is_new_story: bool
    sources: list[Source]
    source_count: int  # independent outlets (syndicated copies do not count)
    first_seen: str
    syndicated: bool = False
    duplicate_of: str | None = None
    categories: list[Category] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    attribution: list[Attribution] = field(default_factory=list)
    severity: int = 1
    changes: dict[str, Any] = field(default_factory=dict)  # what an update changed
    processed_at: str = ""
    schema_version: int = ENRICHED_SCHEMA_VERSION

    def top_category(self) -> str:
        if not self.categories:
            return "other"
        return max(self.categories, key=lambda c: c.score).name


@dataclass(slots=True)
class UnderstoodArticle:
    """Internal (``<prefix>stories-in``): an article with what the understanding stage
    found, on its way to the story stage."""

    article: Article
    categories: list[Category] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    attribution: list[Attribution] = field(default_factory=list)
    severity: int = 1
    understood_at: str = ""
    # the story fingerprint, computed here in the parallel stage so the serial story stage
    # only looks up (streams.stories.fingerprint_to_dict); None: the story stage computes it
    fingerprint: dict[str, Any] | None = None
    schema_version: int = ENRICHED_SCHEMA_VERSION


@dataclass(slots=True)
class Alert:
    """A rule decided a story deserves attention. Topic ``<prefix>alerts``, key ``story_id``.

    One story raises one alert (``action == "new"``, ``revision == 0``); later
    sources and changed figures produce ``action == "update"`` with a higher
    ``revision``. ``alert_id`` = story_id + ":" + revision is unique.
    """

    alert_id: str
    story_id: str
    revision: int
    action: Literal["new", "update"]
    rule: str
    destinations: list[str]
    headline: str
    url: str
    categories: list[Category]
    severity: int
    figures: list[Figure]
    places: list[Place]
    sources: list[Source]
    source_count: int
    first_seen: str
    event_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    schema_version: int = ALERT_SCHEMA_VERSION


@dataclass(slots=True)
class DeadLetter:
    """A message we could not process, with why. Topic ``<prefix>deadletter``."""

    stage: str  # worker.articles | worker.stories | notifier.slack:<dest> | ...
    error: str
    error_type: str
    source_topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    value: str | None = None  # the original payload (utf-8, replacement chars), truncated
    value_truncated: bool = False
    at: str = ""
    schema_version: int = DEADLETTER_SCHEMA_VERSION


# ---- encoding ---------------------------------------------------------------

T = TypeVar("T")


def dumps(obj: Any) -> bytes:
    """Encode a message (dataclass or dict) as JSON bytes."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)


class SchemaError(ValueError):
    """A message that is valid JSON but not of the expected shape."""


def _build(cls: type[T], data: Any, path: str) -> T:
    if not isinstance(data, dict):
        raise SchemaError(f"{path}: expected an object, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for name, required, sub in _plan(cls):
        if name not in data:
            if required:
                raise SchemaError(f"{path}.{name}: required field missing")
            continue
        value = data[name]
        if sub is not None:
            kind, sub_cls = sub
            if kind == "one":
                value = _build(sub_cls, value, f"{path}.{name}")
            else:
                if not isinstance(value, list):
                    raise SchemaError(f"{path}.{name}: expected a list")
                value = [_build(sub_cls, v, f"{path}.{name}[{i}]") for i, v in enumerate(value)]
        kwargs[name] = value
    return cls(**kwargs)


_Plan = tuple[tuple[str, bool, tuple[str, type] | None], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """(field, required, nested) per field of a message class, worked out once: decoding
    is on every hop of the worker, and ``dataclasses.fields`` per message is not free."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = _HINTS[cls]
        plan = _PLANS[cls] = tuple(
            (
                f.name,
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                hints.get(f.name),
            )
            for f in dataclasses.fields(cls)
        )
    return plan


# nested dataclass fields, per class: name -> ("one"|"list", class)
_HINTS: dict[type, dict[str, tuple[str, type]]] = {
    Article: {},
    Evidence: {},
    Figure: {},
    Place: {},
    Attribution: {},
    Source: {},
    DeadLetter: {},
    Category: {"evidence": ("list", Evidence)},
    EnrichedEvent: {
        "article": ("one", Article),
        "sources": ("list", Source),
        "categories": ("list", Category),
        "figures": ("list", Figure),
        "places": ("list", Place),
        "attribution": ("list", Attribution),
    },
    UnderstoodArticle: {
        "article": ("one", Article),
        "categories": ("list", Category),
        "figures": ("list", Figure),
        "places": ("list", Place),
        "attribution": ("list", Attribution),
    },
    Alert: {
        "categories": ("list", Category),
        "figures": ("list", Figure),
        "places": ("list", Place),
        "sources": ("list", Source),
    },
}

_VERSIONS: dict[type, int] = {
    Article: ARTICLE_SCHEMA_VERSION,
    EnrichedEvent: ENRICHED_SCHEMA_VERSION,
    UnderstoodArticle: ENRICHED_SCHEMA_VERSION,
    Alert: ALERT_SCHEMA_VERSION,
    DeadLetter: DEADLETTER_SCHEMA_VERSION,
}


def loads(cls: type[T], raw: bytes | str) -> T:
    """Decode JSON bytes into a message type; raise SchemaError (a ValueError) if it
    is not JSON, not of this shape, or of a newer major schema version."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SchemaError(f"not JSON: {exc}") from None
    return from_dict(cls, data)


def from_dict(cls: type[T], data: Any) -> T:
    expected = _VERSIONS.get(cls)
    if expected is not None and isinstance(data, dict):
        version = data.get("schema_version")
        if not isinstance(version, int) or version > expected:
            raise SchemaError(
                f"{cls.__name__}: unsupported schema_version {version!r} (we read <= {expected})"
            )
    return _build(cls, data, cls.__name__)


# ---- stories-in batches -----------------------------------------------------


def pack_batches(items: list[bytes], max_bytes: int = MAX_BATCH_BYTES) -> list[bytes]:
    """Records for ``<prefix>stories-in``: ``{"schema_version": 2, "items": [...]}`` of
    already-encoded UnderstoodArticle objects, each record at most ``max_bytes`` (an item
    larger than that travels alone). One record per batch, not per article: the story
    stage then pays one consume per batch instead of one per article."""
    return [batch_record(items[a:b]) for a, b in batch_spans(items, max_bytes)]


def batch_spans(items: list[bytes], max_bytes: int = MAX_BATCH_BYTES) -> list[tuple[int, int]]:
    """The ``(start, end)`` slices of ``items`` that :func:`pack_batches` makes records of,
    in order, so a caller can tell which items went into which record."""
    spans: list[tuple[int, int]] = []
    start, size = 0, 0
    for i, item in enumerate(items):
        if i > start and size + len(item) + 1 > max_bytes:
            spans.append((start, i))
            start, size = i, 0
        size += len(item) + 1
    if start < len(items):
        spans.append((start, len(items)))
    return spans


def batch_record(chunk: list[bytes]) -> bytes:
    """One stories-in record of already-encoded items."""
    head = b'{"schema_version":%d,"items":[' % UNDERSTOOD_BATCH_SCHEMA_VERSION
    return head + b",".join(chunk) + b"]}"


def unpack_batch(raw: bytes | str) -> list[Any]:
    """The items (still dicts: each is decoded on its own, so one bad item costs only
    itself) of a stories-in record: a version-2 batch, or a single UnderstoodArticle as
    workers before version 2 sent. Raises SchemaError for anything else."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SchemaError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"stories-in: expected an object, got {type(data).__name__}")
    version = data.get("schema_version")
    if not isinstance(version, int) or version > UNDERSTOOD_BATCH_SCHEMA_VERSION:
        raise SchemaError(
            f"stories-in: unsupported schema_version {version!r} "
            f"(we read <= {UNDERSTOOD_BATCH_SCHEMA_VERSION})"
        )
    if version < UNDERSTOOD_BATCH_SCHEMA_VERSION:
        return [data]
    items = data.get("items")
    if not isinstance(items, list):
        raise SchemaError("stories-in: batch without an 'items' list")
    return items
