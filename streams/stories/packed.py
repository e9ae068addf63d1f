"""A story in memory: one immutable ``bytes`` blob (header, summary, member records).

Millions of remembered articles as Python objects would cost kilobytes each; a story
blob costs a few dozen bytes of overhead plus ~100 bytes per member. Layout:

* header: first/min/last time, member count, summary sizes, story-id length;
* story id (utf-8), then the *summary*: the union (capped) of the members' keyword
  stems, names, places and numbers — what the verifier compares a new article with;
* member records: time, outlet id, flags, title/text hashes, 64-bit URL hash,
  near-copy sketch (top 16 bits of each value: same order), 16-bit fact hashes,
  figures, article id, and the URL only for the member that represents its outlet in
  ``sources``.

Pure module: ``Story``/``Member`` are read views built on demand, never stored.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, filterfalse, islice

_HEAD = struct.Struct("<dddIBBBBB")  # first, min, last, members, nt, nn, np, nnum, len(sid)
_REC = struct.Struct("<HdHBIIQBBBBH")  # len, ts, outlet, flags, th, xh, urlh, nsk, nf, nfig, la, lu
_FIG = struct.Struct("<Bd")
CAP_TOKENS, CAP_NAMES, CAP_PLACES, CAP_NUMBERS = 32, 12, 8, 12
_CAPS = (CAP_TOKENS, CAP_NAMES, CAP_PLACES, CAP_NUMBERS)
MAX_FACTS = 20
_HEX_ID = 1  # id stored as prefix + raw bytes of its hex part ("u:" + 32 hex -> 19 bytes)


@dataclass(slots=True)
class Summary:
    tokens: tuple[int, ...]
    names: tuple[int, ...]
    places: tuple[int, ...]
    numbers: tuple[int, ...]


@dataclass(slots=True)
class Member:
    ts: float
    outlet: int
    syndicated: bool
    title_hash: int
    text_hash: int
    url_hash: int
    sketch: tuple[int, ...]
    facts: tuple[int, ...]
    figures: tuple[tuple[int, float], ...]
    article_id: str
    url: str
    start: int  # offset of the record in the blob
    end: int


def encode_id(aid: str) -> bytes:
    head, sep, tail = aid.partition(":")
    if sep and 0 < len(head) < 8 and tail and len(tail) % 2 == 0 and tail == tail.lower():
        try:
            raw = bytes.fromhex(tail)
        except ValueError:
            raw = b""
        if raw:
            return bytes((_HEX_ID, len(head))) + head.encode() + raw
    return aid.encode()


def decode_id(raw: bytes) -> str:
    if raw[:1] == bytes((_HEX_ID,)):
        n = raw[1]
        return raw[2 : 2 + n].decode() + ":" + raw[2 + n :].hex()
    return raw.decode()


_URL_HEADS = ("", "https://", "https://www.", "http://", "http://www.")


def encode_url(url: str) -> bytes:
    """The URL without its common head (one byte says which: the longest that matches),
    at most 65 534 bytes."""
    if not url:
        return b""
    if url.startswith("https://"):
        code = 2 if url.startswith("www.", 8) else 1
    elif url.startswith("http://"):
        code = 4 if url.startswith("www.", 7) else 3
    else:
        code = 0
    return _URL_CODES[code] + url[len(_URL_HEADS[code]) :].encode()[:65533]


_URL_CODES = [bytes((i,)) for i in range(len(_URL_HEADS))]


def decode_url(raw: bytes) -> str:
    return _URL_HEADS[raw[0]] + raw[1:].decode(errors="replace") if raw else ""


def facts_of(
    names: tuple[int, ...], places: tuple[int, ...], numbers: tuple[int, ...]
) -> tuple[int, ...]:
    """16-bit hashes of what a text states: enough to tell a reprint from a template."""
    return tuple(dict.fromkeys(map(_LOW16, chain(names, places, numbers))))[:MAX_FACTS]


_LOW16 = (0xFFFF).__and__
_HIGH16 = (16).__rrshift__  # v >> 16: the top 16 bits a record keeps of a sketch value


def record(
    ts: float,
    outlet: int,
    syndicated: bool,
    title_hash: int,
    text_hash: int,
    url_hash: int,
    sketch: tuple[int, ...],
    facts: tuple[int, ...],
    figures: list[tuple[int, float]],
    article_id: str,
    url: str,
) -> bytes:
    aid, ub = encode_id(article_id), encode_url(url)
    tail = _shorts(len(sketch) + len(facts)).pack(*map(_HIGH16, sketch), *facts)
    if figures:
        tail += b"".join(_FIG.pack(k, v) for k, v in figures)
    tail += aid + ub
    head = _REC.pack(
        _REC.size + len(tail),
        ts,
        outlet,
        int(syndicated),
        title_hash,
        text_hash,
        url_hash,
        len(sketch),
        len(facts),
        len(figures),
        len(aid),
        len(ub),
    )
    return head + tail


def build(
    sid: str, first: float, lo: float, hi: float, n: int, summary: Summary, members: bytes
) -> bytes:
    s = summary
    sb = sid.encode()
    ints = (*s.tokens, *s.names, *s.places, *s.numbers)
    return (
        _HEAD.pack(
            first, lo, hi, n, len(s.tokens), len(s.names), len(s.places), len(s.numbers), len(sb)
        )
        + sb
        + struct.pack(f"<{len(ints)}I", *ints)
        + members
    )


def head(blob: bytes) -> tuple[float, float, float, int]:
    """(first_ts, min_ts, last_ts, member count)."""
    first, lo, hi, n, *_ = _HEAD.unpack_from(blob)
    return first, lo, hi, n


def story_id(blob: bytes) -> str:
    ls = blob[_HEAD.size - 1]
    return blob[_HEAD.size : _HEAD.size + ls].decode()


def summary(blob: bytes) -> Summary:
    *_, nt, nn, np_, nnum, ls = _HEAD.unpack_from(blob)
    ints = struct.unpack_from(f"<{nt + nn + np_ + nnum}I", blob, _HEAD.size + ls)
    a, b, c = nt, nt + nn, nt + nn + np_
    return Summary(ints[:a], ints[a:b], ints[b:c], ints[c:])


_UINTS: dict[int, struct.Struct] = {}


def _uints(n: int) -> struct.Struct:
    st = _UINTS.get(n)
    if st is None:
        st = _UINTS[n] = struct.Struct(f"<{n}I")
    return st


def scoring_view(
    blob: bytes,
) -> tuple[float, float, int, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(min time, last time, members, tokens, names, places, numbers): what the verifier
    reads of a candidate story, in one unpack."""
    _first, lo, hi, n, nt, nn, np_, nnum, ls = _HEAD.unpack_from(blob)
    ints = _uints(nt + nn + np_ + nnum).unpack_from(blob, _HEAD.size + ls)
    a, b, c = nt, nt + nn, nt + nn + np_
    return lo, hi, n, ints[:a], ints[a:b], ints[b:c], ints[c:]


def members_offset(blob: bytes) -> int:
    *_, nt, nn, np_, nnum, ls = _HEAD.unpack_from(blob)
    return _HEAD.size + ls + 4 * (nt + nn + np_ + nnum)


def iter_heads(blob: bytes) -> list[tuple[int, int, float, int, int, int]]:
    """(start, end, ts, outlet, flags, url_hash) of each member: the cheap walk."""
    out = []
    off, end = members_offset(blob), len(blob)
    unpack = _REC.unpack_from
    while off < end:
        size, ts, oid, flags, _th, _xh, urlh, *_ = unpack(blob, off)
        out.append((off, off + size, ts, oid, flags, urlh))
        off += size
    return out


def member_at(blob: bytes, off: int) -> Member:
    size, ts, oid, flags, th, xh, urlh, nsk, nf, nfig, la, lu = _REC.unpack_from(blob, off)
    p = off + _REC.size
    sk = struct.unpack_from(f"<{nsk + nf}H", blob, p)
    p += 2 * (nsk + nf)
    figs = []
    for _ in range(nfig):
        figs.append(_FIG.unpack_from(blob, p))
        p += _FIG.size
    aid = decode_id(blob[p : p + la])
    url = decode_url(blob[p + la : p + la + lu])
    return Member(
        ts,
        oid,
        bool(flags & 1),
        th,
        xh,
        urlh,
        sk[:nsk],
        sk[nsk:],
        tuple(figs),
        aid,
        url,
        off,
        off + size,
    )


def ids_at(blob: bytes, off: int) -> tuple[str, str]:
    """(article id, URL or "") of the member at ``off``."""
    _s, _ts, _o, _f, _th, _xh, _u, nsk, nf, nfig, la, lu = _REC.unpack_from(blob, off)
    p = off + _REC.size + 2 * (nsk + nf) + _FIG.size * nfig
    return decode_id(blob[p : p + la]), decode_url(blob[p + la : p + la + lu])


def members(blob: bytes) -> list[Member]:
    return [member_at(blob, start) for start, *_ in iter_heads(blob)]


def sketch_at(blob: bytes, off: int) -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
    """(outlet, flags, sketch, facts) of the member at ``off``: the near-copy test's inputs."""
    _s, _ts, oid, flags, _th, _xh, _u, nsk, nf, *_ = _REC.unpack_from(blob, off)
    vals = struct.unpack_from(f"<{nsk + nf}H", blob, off + _REC.size)
    return oid, flags, vals[:nsk], vals[nsk:]


_SHORTS: dict[int, struct.Struct] = {}


def _shorts(n: int) -> struct.Struct:
    st = _SHORTS.get(n)
    if st is None:
        st = _SHORTS[n] = struct.Struct(f"<{n}H")
    return st


_SK8 = struct.Struct(_REC.format + "8H")  # a record's head and a full sketch: one unpack
_NSK = struct.calcsize(_REC.format[:8])  # offset of the sketch length in a record


def sketches(blob: bytes) -> Iterator[tuple[int, tuple[int, ...], int]]:
    """(outlet, sketch, record offset) of each member, in one walk: the near-copy test
    reads every member's sketch but the facts (``facts_at``) of few."""
    off, end = members_offset(blob), len(blob)
    unpack, p0 = _REC.unpack_from, _REC.size
    while off < end:
        if blob[off + _NSK] == 8:
            vals = _SK8.unpack_from(blob, off)
            yield vals[2], vals[12:], off
            off += vals[0]
        else:
            size, _ts, oid, _fl, _th, _xh, _u, nsk, *_ = unpack(blob, off)
            yield oid, _shorts(nsk).unpack_from(blob, off + p0), off
            off += size


def facts_at(blob: bytes, off: int) -> tuple[int, ...]:
    nsk, nf = _REC.unpack_from(blob, off)[7:9]
    return _shorts(nf).unpack_from(blob, off + _REC.size + 2 * nsk)


def with_member(blob: bytes, rec: bytes, ts: float, fp_parts: tuple[tuple[int, ...], ...]) -> bytes:
    """The story with one more member (its record ``rec``) and a summary grown by it."""
    first, lo, hi, n, nt, nn, np_, nnum, ls = _HEAD.unpack_from(blob)
    lo, hi = (ts, ts) if n == 0 else (min(lo, ts), max(hi, ts))
    off = _HEAD.size + ls
    moff = off + 4 * (nt + nn + np_ + nnum)
    # 32 bits: entries from an older changelog may hold larger numbers
    parts = [
        tuple(dict.fromkeys(p if not p or 0 <= min(p) <= max(p) <= 0xFFFFFFFF else _u32(p)))
        for p in fp_parts
    ]
    if n == 0:
        sm = Summary(*(p[:cap] for p, cap in zip(parts, _CAPS, strict=True)))
    else:
        ints = _uints(nt + nn + np_ + nnum).unpack_from(blob, off)
        a, b, c = nt, nt + nn, nt + nn + np_
        old = Summary(ints[:a], ints[a:b], ints[b:c], ints[c:])
        sm = merged(old, *parts)
        if (
            sm.tokens is old.tokens
            and sm.names is old.names
            and sm.places is old.places
            and sm.numbers is old.numbers
        ):  # the summary did not grow: only the header changes
            head = _HEAD.pack(first, lo, hi, n + 1, nt, nn, np_, nnum, ls)
            return b"".join((head, memoryview(blob)[_HEAD.size :], rec))
    sid = blob[_HEAD.size : off].decode()
    return build(sid, first, lo, hi, n + 1, sm, blob[moff:] + rec)


def _u32(values: tuple[int, ...]) -> list[int]:
    return [v & 0xFFFFFFFF for v in values]


def merged(old: Summary, tokens: tuple, names: tuple, places: tuple, numbers: tuple) -> Summary:
    """The summary grown by one article's features, first come first kept, capped."""

    def grow(have: tuple[int, ...], new: tuple[int, ...], cap: int) -> tuple[int, ...]:
        if len(have) >= cap:
            return have
        add = list(filterfalse(set(have).__contains__, dict.fromkeys(new)))
        return have + tuple(islice(add, cap - len(have))) if add else have

    return Summary(
        grow(old.tokens, tokens, CAP_TOKENS),
        grow(old.names, names, CAP_NAMES),
        grow(old.places, places, CAP_PLACES),
        grow(old.numbers, numbers, CAP_NUMBERS),
    )


def outlet_at(blob: bytes, off: int) -> int:
    return int(_REC.unpack_from(blob, off)[2])
