"""One remembered article as the changelog stores it: ``IndexEntry``. Pure module.

``IndexEntry`` is what a faust table stores (key ``article_id``): self-contained,
JSON-friendly, enough to rebuild the index after a restart with ``StoryIndex.add_entry``.
In memory the index keeps much less (``packed``: a member record inside a story blob).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.errors import InputError
from streams.stories.fingerprint import Fingerprint


@dataclass(slots=True)
class IndexEntry:
    article_id: str
    url: str
    outlet: str
    published_ts: float
    story_id: str
    story_first_ts: float
    fingerprint: Fingerprint
    syndicated: bool = False
    figures: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fp = self.fingerprint
        return {
            "article_id": self.article_id,
            "url": self.url,
            "outlet": self.outlet,
            "published_ts": self.published_ts,
            "story_id": self.story_id,
            "story_first_ts": self.story_first_ts,
            "syndicated": self.syndicated,
            "figures": dict(self.figures),
            "fp": [
                list(fp.tokens),
                list(fp.names),
                list(fp.places),
                list(fp.numbers),
                list(fp.sketch),
                fp.title_hash,
                fp.text_hash,
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> IndexEntry:
        try:
            tok, names, places, nums, sketch, th, xh = data["fp"]
            fp = Fingerprint(
                tuple(map(int, tok)),
                tuple(map(int, names)),
                tuple(map(int, places)),
                tuple(map(int, nums)),
                tuple(map(int, sketch)),
                int(th),
                int(xh),
            )
            return cls(
                article_id=str(data["article_id"]),
                url=str(data["url"]),
                outlet=str(data["outlet"]),
                published_ts=float(data["published_ts"]),
                story_id=str(data["story_id"]),
                story_first_ts=float(data["story_first_ts"]),
                fingerprint=fp,
                syndicated=bool(data.get("syndicated", False)),
                figures={str(k): float(v) for k, v in dict(data.get("figures", {})).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"index entry: malformed ({exc!r})") from None
