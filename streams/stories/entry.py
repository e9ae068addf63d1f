"""One remembered article, two shapes: ``IndexEntry`` for the changelog, packed bytes inside.

``IndexEntry`` is what a faust table would store (key ``article_id``): self-contained,
JSON-friendly, enough to rebuild the index after a restart with ``StoryIndex.add_entry``.
In memory the same facts are one ``bytes`` object (``pack``/``unpack``), because a
dataclass of tuples of ints costs several times more. Pure module.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from streams.errors import InputError
from streams.stories.fingerprint import Fingerprint

# ts, story_first_ts, outlet, title_hash, text_hash, flags, counts x6, len(id), len(url)
_HEAD = struct.Struct("<ddIIIBBBBBBBHH")


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


def pack(entry: IndexEntry, outlet_id: int, fig_kinds: dict[str, int]) -> bytes:
    fp = entry.fingerprint
    aid, url = entry.article_id.encode(), entry.url.encode()
    figs = [(fig_kinds[k], v) for k, v in entry.figures.items()]
    head = _HEAD.pack(
        entry.published_ts,
        entry.story_first_ts,
        outlet_id,
        fp.title_hash,
        fp.text_hash,
        int(entry.syndicated),
        len(fp.tokens),
        len(fp.names),
        len(fp.places),
        len(fp.numbers),
        len(fp.sketch),
        len(figs),
        len(aid),
        len(url),
    )
    ints = struct.pack(
        f"<{len(fp.tokens) + len(fp.names) + len(fp.places)}I{len(fp.numbers)}q{len(fp.sketch)}I",
        *fp.tokens,
        *fp.names,
        *fp.places,
        *fp.numbers,
        *fp.sketch,
    )
    fig_bytes = b"".join(struct.pack("<Bd", k, v) for k, v in figs)
    return head + ints + fig_bytes + aid + url


def unpack_head(rec: bytes) -> tuple[Any, ...]:
    return _HEAD.unpack_from(rec)


def unpack(rec: bytes, outlets: list[str], fig_names: list[str], story_id: str) -> IndexEntry:
    ts, first, oid, th, xh, flags, nt, nn, npl, nnum, nsk, nfig, la, lu = _HEAD.unpack_from(rec)
    off = _HEAD.size
    ints = struct.unpack_from(f"<{nt + nn + npl}I", rec, off)
    off += 4 * (nt + nn + npl)
    nums = struct.unpack_from(f"<{nnum}q", rec, off)
    off += 8 * nnum
    sketch = struct.unpack_from(f"<{nsk}I", rec, off)
    off += 4 * nsk
    figures: dict[str, float] = {}
    for _ in range(nfig):
        k, v = struct.unpack_from("<Bd", rec, off)
        figures[fig_names[k]] = v
        off += 9
    aid = rec[off : off + la].decode()
    url = rec[off + la : off + la + lu].decode()
    fp = Fingerprint(ints[:nt], ints[nt : nt + nn], ints[nt + nn :], nums, sketch, th, xh)
    return IndexEntry(aid, url, outlets[oid], ts, story_id, first, fp, bool(flags & 1), figures)


def fingerprint_of(rec: bytes) -> tuple[float, int, bool, Fingerprint]:
    """Just what matching needs (time, outlet, syndicated, fingerprint): the hot path."""
    ts, _first, oid, th, xh, flags, nt, nn, npl, nnum, nsk, _nf, _la, _lu = _HEAD.unpack_from(rec)
    off = _HEAD.size
    ints = struct.unpack_from(f"<{nt + nn + npl}I", rec, off)
    off += 4 * (nt + nn + npl)
    nums = struct.unpack_from(f"<{nnum}q", rec, off)
    sketch = struct.unpack_from(f"<{nsk}I", rec, off + 8 * nnum)
    fp = Fingerprint(ints[:nt], ints[nt : nt + nn], ints[nt + nn :], nums, sketch, th, xh)
    return ts, oid, bool(flags & 1), fp


def ids_of(rec: bytes) -> tuple[str, str]:
    """(article_id, url) of a packed record."""
    *_, nt, nn, npl, nnum, nsk, nfig, la, lu = _HEAD.unpack_from(rec)
    off = _HEAD.size + 4 * (nt + nn + npl + nsk) + 8 * nnum + 9 * nfig
    return rec[off : off + la].decode(), rec[off + la : off + la + lu].decode()
