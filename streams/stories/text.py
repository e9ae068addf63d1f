"""Word-level text features for story matching: tokens, names, numbers, stable hashes.

Pure module. Hashes are stable across processes (crc32 / blake2b, never ``hash()``)
because fingerprints are stored in a changelog and compared after a restart.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zlib
from array import array
from functools import lru_cache
from typing import cast

_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’\-]*|\d[\d,]*(?:\.\d+)?")
# the same words in an ASCII text (no letter past "z", no "’", no digit but 0-9): a
# quarter cheaper to scan, and most wire copy is ASCII
_WORD_ASCII = re.compile(r"[A-Za-z][A-Za-z'\-]*|[0-9][0-9,]*(?:\.[0-9]+)?")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words plus newsroom filler that every story shares ("said", "latest", "report").
STOPWORDS = _word_set(
    """a about above after again against all also am amid an and any are around as at be
    been before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is it
    its itself just me more most my no nor not now of off on once only or other our out over
    own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your yet via per since says say said saying told tells according
    report reports reported reporting news latest update updates live breaking new week day
    today yesterday tonight morning evening night monday tuesday wednesday thursday friday
    saturday sunday officials official authorities source sources people local least
    several dozen many more than were being told statement added near"""
)

# Words a rewrite swaps for each other; folded so outlets' phrasings meet.
_SYNONYMS = {
    "dead": "kill",
    "killed": "kill",
    "kills": "kill",
    "killing": "kill",
    "died": "kill",
    "die": "kill",
    "dies": "kill",
    "death": "kill",
    "deaths": "kill",
    "toll": "kill",
    "deadly": "kill",
    "fatal": "kill",
    "lives": "kill",
    "injured": "injur",
    "injures": "injur",
    "injuring": "injur",
    "wounded": "injur",
    "wounding": "injur",
    "wounds": "injur",
    "hurt": "injur",
    "injuries": "injur",
    "explosion": "blast",
    "explosions": "blast",
    "blasts": "blast",
    "exploded": "blast",
    "uav": "drone",
    "uavs": "drone",
    "drones": "drone",
    "talks": "talk",
    "negotiations": "talk",
    "negotiators": "talk",
    "negotiation": "talk",
    "meeting": "talk",
    "meet": "talk",
    "meets": "talk",
    "factory": "plant",
    "facility": "plant",
    "works": "plant",
    "factories": "plant",
    "walkout": "strike",
    "stoppage": "strike",
    "earthquake": "quake",
    "earthquakes": "quake",
    "quakes": "quake",
    "tremor": "quake",
    "fire": "blaze",
    "fires": "blaze",
    "blaze": "blaze",
}

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}


def h32(text: str) -> int:
    """Stable 32-bit hash of a token (never 0, so 0 can mean "empty")."""
    return zlib.crc32(text.encode("utf-8")) or 1


def h64(text: str) -> int:
    """Stable 64-bit hash for identities (article ids, URLs); never 0."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()) or 1


_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_MAX = 50_000  # per word cache; news vocabulary repeats; cleared when full (bounded)


def stem(word: str) -> str:
    """Lower-case and fold the endings that differ between rewrites of one headline."""
    s = _STEM_CACHE.get(word)
    if s is None:
        if len(_STEM_CACHE) >= _STEM_CACHE_MAX:
            _STEM_CACHE.clear()
        s = _STEM_CACHE[word] = _stem(word)
    return s


def _stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'-")
    syn = _SYNONYMS.get(w)
    if syn is not None:
        return syn
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    return (_WORD_ASCII if text.isascii() else _WORD).findall(text)


def number_value(word: str) -> float | None:
    """The number a token states ("12", "1,200", "twelve"), or None."""
    if word[0].isdigit():
        try:
            return float(word.replace(",", ""))
        except ValueError:
            return None
    n = NUMBER_WORDS.get(word.lower())
    return None if n is None else float(n)


def is_year(value: float) -> bool:
    return value.is_integer() and 1900 <= value <= 2100


def number_codes(ws: list[str]) -> list[int]:
    """The numbers the words state, years left out, as fingerprints keep them: x10 in 32
    bits (numbers are only compared for equality, and records pack them as I)."""
    out = []
    for w in ws:
        if w[0].isdigit() or w.lower() in NUMBER_WORDS:
            v = number_value(w)
            if v is not None and not is_year(v):
                out.append(round(v * 10) & 0xFFFFFFFF)
    return out


def keyword_stems(text: str) -> list[str]:
    """Content-word stems in order, stopwords and numbers removed."""
    return keyword_stems_of(words(text))


def keyword_stems_of(ws: list[str]) -> list[str]:
    out: list[str] = []
    for w in ws:
        kw = _KEYWORD.get(w)
        if kw is None:
            kw = _keyword(w)
        if kw:
            out.append(kw[0])
    return out


def keyword_hashes(ws: list[str]) -> list[tuple[str, int]]:
    """(stem, h32(stem)) of each content word, as ``keyword_stems_of`` picks them."""
    kws = list(map(_KEYWORD.get, ws))
    if None in kws:  # () marks a word known not to be a keyword: only None is a miss
        kws = [_keyword(w) if kw is None else kw for kw, w in zip(kws, ws, strict=True)]
    return list(filter(None, kws))  # type: ignore[arg-type]


_KEYWORD: dict[str, tuple[str, int] | tuple[()]] = {}


def _keyword(w: str) -> tuple[str, int] | tuple[()]:
    if len(_KEYWORD) >= _STEM_CACHE_MAX:
        _KEYWORD.clear()
    low = w.lower()
    kw: tuple[str, int] | tuple[()] = ()
    if not w[0].isdigit() and low not in NUMBER_WORDS and low not in STOPWORDS:
        s = stem(w)
        if len(s) > 1 and s not in STOPWORDS:
            kw = (s, h32(s))
    _KEYWORD[w] = kw
    return kw


def is_title_case(text: str) -> bool:
    """Headline style where most words are capitalised, so capitals say nothing."""
    return is_title_case_words(words(text))


def is_title_case_words(ws: list[str]) -> bool:
    """``is_title_case`` of a text's ``words``."""
    ws = [w for w in ws if w[0].isalpha() and w.lower() not in STOPWORDS]
    if len(ws) < 3:
        return False
    caps = sum(1 for w in ws if w[0].isupper())
    return caps / len(ws) > 0.6


def capitalised_runs(text: str) -> list[str]:
    """Runs of capitalised words that do not open a sentence: likely names and places.

    A sentence-opening word is kept only when it continues into another capitalised
    word ("Kharkiv Mayor ..." keeps "Kharkiv Mayor"), since a lone opener is usually
    an ordinary word.
    """
    return runs_of(word_parts(text))


def word_parts(text: str) -> list[str]:
    """``text`` cut at its words: [before the first word, word, between, word, ..., after];
    the words are ``parts[1::2]`` (the same as ``words(text)``)."""
    return (_WORD_SPLIT_ASCII if text.isascii() else _WORD_SPLIT).split(text)


def runs_of(parts: list[str]) -> list[str]:
    """``capitalised_runs`` of a text's ``word_parts``.

    A run is a capitalised word (not a stopword) and the capitalised words after it, up
    to one that is not, or one with a break (",;:()!?") in the three characters before it
    ("in Chernihiv, Lomako said": the comma ends the place before the name). Words are
    marked capitalised or not in C (one byte each) and a regex finds the stretches of
    capitalised words, so Python only walks those.
    """
    ws = parts[1::2]
    # computed, not cached: a per-word cache is a large table, cold in a busy worker
    codes = bytes([w[0].isupper() and w.lower() not in STOPWORDS for w in ws])
    runs: list[str] = []
    for m in _CAPS.finditer(codes):
        i, j = m.span()
        start = i
        for t in range(i + 1, j):
            if not _BREAKS.isdisjoint(_gap(parts, 2 * t)):
                _run(runs, parts, ws, start, t)
                start = t
        _run(runs, parts, ws, start, j)
    return runs


def _run(runs: list[str], parts: list[str], ws: list[str], i: int, j: int) -> None:
    if j - i > 1:
        runs.append(" ".join(ws[i:j]))
    elif i > 0 and ((tail := _gap(parts, 2 * i).rstrip()) == "" or tail[-1] not in _ENDERS):
        runs.append(ws[i])  # a lone word is kept unless it opens a sentence


def _gap(parts: list[str], k: int) -> str:
    """The three characters before the word ``parts[k + 1]`` (the text padded by three
    spaces in front)."""
    acc = parts[k]
    if len(acc) >= 3:
        return acc[-3:]
    while len(acc) < 3 and k > 0:
        k -= 1
        acc = parts[k] + acc
    return ("   " + acc)[-3:]


_CAPS = re.compile(rb"\x01+")


# words and what lies between them, in one list
_WORD_SPLIT = re.compile("(" + _WORD.pattern + ")")
_WORD_SPLIT_ASCII = re.compile("(" + _WORD_ASCII.pattern + ")")
_ENDERS = frozenset(".!?:;")
_BREAKS = frozenset(',;:()!?"')


def shingles(tokens: list[str], size: int = 3) -> list[str]:
    if len(tokens) < size:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]


def sketch(lowered: list[str], k: int = 8) -> tuple[int, ...]:
    """Bottom-k of the word 3-shingles of lower-cased words, hashed from per-word hashes
    (cheap: one crc32 per distinct word, not per shingle)."""
    got = list(map(_WORD_HASH.get, lowered))
    hs = (
        cast(list[int], got)
        if None not in got
        else [h or _word_hash(w) for h, w in zip(got, lowered, strict=True)]
    )
    if len(hs) < 3:
        return (h32(" ".join(lowered)),) if lowered else ()
    return _bottom_k(_mixed_lanes(hs), len(hs) - 2, k)


_MIX = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D)
_LANE = 64  # bits: a 32-bit hash times a 32-bit constant never carries into the next lane


@lru_cache(maxsize=1024)
def _lanes(n: int, value: int) -> int:
    """``value`` repeated in each of ``n`` lanes."""
    return ((1 << (_LANE * n)) - 1) // ((1 << _LANE) - 1) * value


def _mixed_lanes(hs: list[int]) -> int:
    """All shingle hashes at once, one per 64-bit lane of one big int: lane i holds
    ``(h[i] * M0 ^ h[i+1] * M1 ^ h[i+2] * M2) & 0xFFFFFFFF``, as a per-shingle loop would
    compute it, but the multiplications and xors run in C over the whole text."""
    lanes = int.from_bytes(array("Q", hs).tobytes(), sys.byteorder)
    m0, m1, m2 = _MIX
    mixed = (lanes * m0) ^ ((lanes >> _LANE) * m1) ^ ((lanes >> 2 * _LANE) * m2)
    return mixed & _lanes(len(hs) - 2, 0xFFFFFFFF)


def _bottom_k(lanes: int, n: int, k: int) -> tuple[int, ...]:
    """The k smallest distinct values of ``n`` 32-bit lanes, a zero counting as 1.

    Sorting ~300 values costs more than the hashing; the values are uniform, so lanes
    at or over a bar that about 3k of them pass under are zeroed first (in C) and only
    the survivors sorted. When fewer than k distinct values pass, or a lane is zero,
    the plain sort decides, so the result is always exactly the bottom k.
    """
    ones = _lanes(n, 1)
    if 3 * k < n and (lanes + _lanes(n, 0xFFFFFFFF)) >> 32 & ones == ones:  # no zero lane
        bar = (3 * k << 32) // n
        over = (lanes + _lanes(n, (1 << 32) - bar)) >> 32 & ones  # 1 in each lane >= bar
        under = lanes & (over * 0xFFFFFFFF ^ _lanes(n, 0xFFFFFFFF))
        found = _lane_values(under, n)
        found.discard(0)
        if len(found) >= k:
            return tuple(sorted(found)[:k])
    found = _lane_values(lanes, n)
    if 0 in found:
        found.discard(0)
        found.add(1)
    return tuple(sorted(found)[:k])


def _lane_values(lanes: int, n: int) -> set[int]:
    values = array("Q")
    values.frombytes(lanes.to_bytes(8 * n, sys.byteorder))
    return set(values)


_WORD_HASH: dict[str, int] = {}


def _word_hash(w: str) -> int:
    if len(_WORD_HASH) >= _STEM_CACHE_MAX:
        _WORD_HASH.clear()
    h = _WORD_HASH[w] = h32(w)
    return h


def bottom_k(items: list[str], k: int = 8) -> tuple[int, ...]:
    """The k smallest shingle hashes: a MinHash sketch whose overlap estimates resemblance."""
    return tuple(sorted({h32(x) for x in items})[:k])


def resemblance(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard of the shingle sets two bottom-k sketches came from."""
    if not a or not b:
        return 0.0
    k = min(len(a), len(b))
    union_bottom = sorted(set(a) | set(b))[:k]
    both = set(a) & set(b)
    return sum(1 for x in union_bottom if x in both) / k
