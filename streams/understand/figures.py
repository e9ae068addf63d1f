"""Numbers an article states, with what they count: killed, injured, serious, missing,
launched, intercepted, distance, money. Pure module.

We find number expressions (digits, number words, "dozens", "at least", ranges) and decide
their kind from a few words of context on either side; a number whose context says
nothing we know (a year, a score, a page count) is not a figure.
"""

from __future__ import annotations

import re

from streams.events import Figure
from streams.understand.anchors import AnchorIndex
from streams.understand.text import Doc

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "a hundred": 100, "a dozen": 12, "two dozen": 24,
}  # fmt: skip
# vague quantities: a conventional value, always approximate
_VAGUE = {
    "dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2000, "several": 3,
    "tens of thousands": 20000, "hundreds of thousands": 200000,
}  # fmt: skip
_MULT = {"thousand": 1e3, "million": 1e6, "m": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9}
_MULT |= {"trillion": 1e12}

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_ANY_DIGIT = re.compile(r"\d")
_WORD_INDEX: AnchorIndex[bool] = AnchorIndex()
for _w in sorted({*_WORDS, *_VAGUE}, key=len, reverse=True):
    _WORD_INDEX.add(re.compile(r"\b" + _w.replace(" ", r"\s+") + r"\b"), _w in _VAGUE)

_MULT_RE = re.compile(r"\s*(thousand|million|mln|billion|bn|trillion|m)\b")
_RANGE_RE = re.compile(r"\s*(?:to|-|–|and|or)\s*(\d+(?:[.,]\d+)*)")
_LOWER = re.compile(r"(?:at least|no fewer than|no less than|more than|over|upwards of)\s+$")
_APPROX = re.compile(
    r"(?:about|around|nearly|almost|approximately|roughly|some|up to|an estimated|as many as"
    r"|close to|~)\s*$"
)
_BETWEEN = re.compile(r"between\s+$")

_CURRENCY_LEFT = {"$": "USD", "€": "EUR", "£": "GBP", "us$": "USD", "usd": "USD"}
_CUR_LEFT = re.compile(r"(us\$|\$|€|£|usd\s?)$")
_CUR_RIGHT = re.compile(
    r"^\s*(dollars|euros|pounds|usd|eur|gbp|roubles|rubles|hryvnias?|yuan|yen|rupees|shekels)\b"
)
_CUR_NAMES = {"dollars": "USD", "euros": "EUR", "pounds": "GBP", "roubles": "RUB"}
_CUR_NAMES |= {"rubles": "RUB", "hryvnia": "UAH", "hryvnias": "UAH", "shekels": "ILS"}
_DIST = re.compile(r"^\s*(?:-\s*)?(km|kilomet(?:er|re)s?|miles?|mi)\b")
_SERIOUS = re.compile(
    r"^\s*(?:of (?:them|whom|those)\s+)?(?:people\s+)?(?:(?:are|were|was|is|remain(?:ed)?|"
    r"remains|in|still)\s+)*(?:(?:a\s+)?(?:serious|critical|grave)\s+condition|seriously|"
    r"critically|severely|gravely)"
)
_WEAPON = re.compile(
    r"^\s*(?:[a-z-]+\s+){0,2}?(drones?|missiles?|rockets?|uavs?|shaheds?|projectiles?|"
    r"shells|glide bombs?)\b"
)
# "one of the wounded died": part of a group counted elsewhere, not a toll of its own
_SUBSET = re.compile(r"\s*of (?:the (?:wounded|injured|victims)|them|those|whom)\b")
_NOT_PEOPLE = re.compile(r"drones?|missiles?|rockets?|shells|uavs?|years?|days?|km|miles?")
_KILLED_R = re.compile(
    r"^\s*(?:[a-z'-]+\s+){0,3}?(?:(?:were|was|have been|had been|has been|been|are|is|being|"
    r"reported|confirmed)\s+)?(?:killed|dead|died|deaths|fatalities|slain|lives)\b"
)
# a toll that rose, named earlier in the sentence: "death toll from the strike rises to four"
_TOLL_L = re.compile(
    r"\b(?:toll|number of (?:dead|deaths|people killed|fatalities))\b[^.;]{0,80}?\b(?:rose|rises|"
    r"risen|climbed|climbs|increased|increases|jumped|reached|reaches|hit|hits|stands at|stood at|"
    r"is now|now stands at)\s+(?:to\s+)?$"
)
_KILLED_L = re.compile(
    r"(?:killing|killed|kills|kill|claimed the lives of|death toll (?:[a-z]+\s+){0,3}?"
    r"(?:to|at|of|reached|hit)|dead (?:rose|rises|climbed) to)\s+$"
)
_INJURED_R = re.compile(
    r"^\s*(?:[a-z'-]+\s+){0,3}?(?:(?:were|was|have been|had been|are|is|being)\s+)?"
    r"(?:injured|wounded|hurt|injuries)\b"
)
_INJURED_L = re.compile(r"(?:injuring|wounding|injured|wounded|injures|wounds)\s+$")
_MISSING_R = re.compile(r"^\s*(?:[a-z'-]+\s+){0,2}?(?:(?:are|were|remain|still)\s+)*missing")
_INTERCEPT_L = re.compile(
    r"(?:shot down|shooting down|intercepted|intercepting|downed|downing|destroyed|"
    r"neutrali[sz]ed|repelled)\s+(?:[a-z-]+\s+){0,2}?$"
)
_INTERCEPT_R = re.compile(
    r"^\s*(?:of (?:them|those|these)\s+)?(?:(?:were|was|had been|have been|being)\s+)?"
    r"(?:shot down|intercepted|downed|destroyed|neutrali[sz]ed)"
)
_LAUNCH = re.compile(r"\b(?:launch\w*|fired|fires|firing|sent|attack\w*|barrage)\b")
_PERIOD = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|"
    r"december|overnight|last night|last week|this week|last month|this month)\b"
)
_MONTHS = {"may"}  # "may" is also a verb: only a month after in/during/since/of

# Every word one of the context patterns above needs: a number with none of them (and no
# currency sign) near it cannot be a figure, so it is dropped before any regex runs.
_KIND_TEXT = """usd dollars euros pounds eur gbp roubles rubles hryvnia hryvnias yuan yen rupees
    shekels km kilometer kilometers kilometre kilometres mile miles mi drone drones missile
    missiles rocket rockets uav uavs shahed shaheds projectile projectiles shells glide shot
    intercepted downed destroyed neutralised neutralized serious critical grave seriously
    critically severely gravely killing killed kills kill lives death toll dead died deaths
    fatalities slain injuring wounding injured wounded injures wounds hurt injuries
    missing"""
_KIND_WORDS = frozenset(_KIND_TEXT.split())
_SIGNS = ("$", "€", "£")
_LEFT, _RIGHT = 40, 100  # context read around a number (right: room for ranges, units)
_TOLL_REACH = 120
_LONGEST = 30  # no number expression we read is longer
_TOLL_WORDS = frozenset(["toll", "dead", "deaths", "killed", "fatalities"])


class FigureFinder:
    def find(self, doc: Doc) -> list[Figure]:
        low = doc.low
        hints = [*(doc.words & _KIND_WORDS), *(c for c in _SIGNS if c in low)]
        if not hints:
            return []
        nums: list[tuple[int, int, float, bool]] = []  # start, end, value, vague
        if _ANY_DIGIT.search(low):
            # numbers are read only around the hints (a regex over the whole text costs
            # more than the few windows)
            seen: set[int] = set()
            for lo, hi in _windows(low, hints):
                for m in _DIGITS.finditer(low, lo, hi):
                    if m.start() not in seen and _near(low, m.start(), m.end(), hints):
                        seen.add(m.start())
                        v = _parse_number(m.group())
                        if v is not None:
                            nums.append((m.start(), m.end(), v, False))
        for vague, start, end in _WORD_INDEX.finditer(low, doc.words):
            if _near(low, start, end, hints):
                key = " ".join(low[start:end].split())
                count = _VAGUE[key] if vague else _WORDS[key]
                nums.append((start, end, float(count), vague))
        if not nums:
            return []
        nums.sort()
        out: list[Figure] = []
        last_end = -1
        last_weapon: str | None = None
        for s, e, value, vague in nums:
            if s < last_end:
                continue  # inside a range or a longer number phrase already read
            fig = _figure(doc, s, e, value, vague, last_weapon)
            if fig is None:
                continue
            last_end = fig.end + doc.bounds[doc.fields.index(fig.field)][0]
            if fig.kind == "launched":
                last_weapon = fig.unit
            out.append(fig)
        return out


def _windows(low: str, hints: list[str]) -> list[tuple[int, int]]:
    """Merged spans of ``low`` where a number could have a hint in its context."""
    spans = []
    find = low.find
    for h in hints:
        i = find(h)
        while i >= 0:
            spans.append((max(0, i - _RIGHT - _LONGEST), i + len(h) + _TOLL_REACH + _LONGEST))
            i = find(h, i + 1)
    spans.sort()
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    n = len(low)
    widened = []
    for lo, hi in out:
        # never cut a number in two ("5,438" read as "438")
        while lo > 0 and (low[lo - 1].isdigit() or low[lo - 1] in ".,"):
            lo -= 1
        while hi < n and (low[hi].isdigit() or low[hi] in ".,"):
            hi += 1
        widened.append((lo, min(hi, n)))
    return widened


def _near(low: str, start: int, end: int, hints: list[str]) -> bool:
    window = low[max(0, start - _LEFT) : end + _RIGHT]
    for h in hints:
        if h in window:
            return True
    # "the death toll from Tuesday's strike rises to four": the toll is named further back
    if not _TOLL_WORDS.intersection(hints):
        return False
    far = low[max(0, start - _TOLL_REACH) : start]
    return "toll" in far or "number of" in far


def dedupe_figures(figures: list[Figure]) -> list[Figure]:
    """A headline and its lede state the same fact twice: keep one, with what both knew."""
    seen: dict[tuple[str, float, str | None], Figure] = {}
    out: list[Figure] = []
    for f in figures:
        key = (f.kind, f.value, f.unit)
        first = seen.get(key)
        if first is None:
            seen[key] = f
            out.append(f)
            continue
        first.lower_bound = first.lower_bound or f.lower_bound
        first.period = first.period or f.period
        first.attributed_to = first.attributed_to or f.attributed_to
        first.low = first.low if first.low is not None else f.low
        first.high = first.high if first.high is not None else f.high
    return out


def _parse_number(raw: str) -> float | None:
    if "," in raw:
        groups = raw.split(",")
        if all(len(g) == 3 for g in groups[1:]) or all(g.isdigit() for g in groups):
            raw = raw.replace(",", "")
        else:
            return None
    try:
        return float(raw)
    except ValueError:
        return None  # "1.2.3"


def _figure(
    doc: Doc, s: int, e: int, value: float, vague: bool, last_weapon: str | None
) -> Figure | None:
    low = doc.low
    sent_lo, sent_hi = doc.sentence(s)
    left = low[max(0, s - 40) : s]
    start, end = s, e
    low_v = high_v = None
    mult = _MULT_RE.match(low, e)
    if mult and not vague:
        value *= _MULT[mult.group(1)]
        end = mult.end()
    rng = _RANGE_RE.match(low, end) if not vague else None
    if rng:
        second = _parse_number(rng.group(1))
        if second is not None and second > value / (_MULT[mult.group(1)] if mult else 1):
            scale = _MULT[mult.group(1)] if mult else 1.0
            low_v, high_v = value, second * scale
            end = rng.end()
            m2 = _MULT_RE.match(low, end)
            if m2 and not mult:
                low_v, high_v = value * _MULT[m2.group(1)], second * _MULT[m2.group(1)]
                value, end = low_v, m2.end()
        elif not ("between" in left and _ends_with(left, ("between",), True)):
            rng = None
    right = low[end : min(sent_hi, end + 60)]
    if _could_be_kind(left, right):
        kind, unit = _kind(left, right, last_weapon)
    else:
        kind = unit = None  # none of _kind's context regexes can match: skip them all
    if kind is None:
        far = low[max(sent_lo, s - _TOLL_REACH) : s]
        if ("toll" in far or "number of" in far) and _TOLL_L.search(far):
            kind, unit = "killed", "people"
    if kind is None:
        return None
    lower_bound = _has(left, _LOWER_HINTS) and _ends_with(left, _LOWER_WORDS, True)
    approximate = vague or (_has(left, _APPROX_HINTS) and _ends_with(left, _APPROX_WORDS, False))
    if kind == "money":
        cur = _cur_left(left)
        if cur:
            start -= len(cur)
        else:
            c = _CUR_RIGHT.match(right)
            assert c is not None
            end += c.end()
    elif kind == "distance":
        d = _DIST.match(right)
        assert d is not None
        end += d.end()
    field, fs, fe = doc.local(start, end)
    return Figure(
        kind=kind,
        value=value,
        text=doc.text[start:end],
        field=field,
        start=fs,
        end=fe,
        unit=unit,
        low=low_v,
        high=high_v,
        lower_bound=lower_bound,
        approximate=approximate,
        period=_period(doc, s),
    )


# The end-anchored regexes above that are a list of phrases, as plain tests: a ``$``
# search tries every start position of the 40-character window (tests check they agree)
_LOWER_WORDS = ("at least", "no fewer than", "no less than", "more than", "over", "upwards of")
_APPROX_WORDS = (
    *("about", "around", "nearly", "almost", "approximately", "roughly", "some", "up to"),
    *("an estimated", "as many as", "close to", "~"),
)
_INJURED_WORDS = ("injuring", "wounding", "injured", "wounded", "injures", "wounds")


def _ends_with(text: str, phrases: tuple[str, ...], space: bool) -> bool:
    """``re.search(r"(?:phrase|...)\\s+$", text)`` (``\\s*`` when not ``space``)."""
    head = text.rstrip()
    if space and len(head) == len(text):
        return False
    return head.endswith(phrases)


def _cur_left(left: str) -> str | None:
    """``_CUR_LEFT.search(left).group(1)``: the currency sign the text before a number
    ends with."""
    if left.endswith("\n"):
        m = _CUR_LEFT.search(left)  # ``$`` also matches before a final newline
        return m.group(1) if m else None
    if left.endswith("us$"):
        return "us$"
    if left.endswith(("$", "€", "£")):
        return left[-1]
    if left.endswith("usd"):
        return "usd"
    if left[-1:].isspace() and left.endswith("usd", 0, len(left) - 1):
        return left[-4:]
    return None


def _has(text: str, hints: tuple[str, ...]) -> bool:
    """A cheap necessary condition for one of the end-anchored context regexes: a
    substring test is ~50 ns where a ``$``-anchored search tries every start position.
    A plain loop: ``any`` over a generator costs as much again as the tests."""
    for h in hints:  # noqa: SIM110
        if h in text:
            return True
    return False


# substrings each left-context regex needs (kept next to the regexes they guard)
_LOWER_HINTS = ("least", "fewer", "less", "more", "over", "upwards")
_APPROX_HINTS = (
    *("about", "around", "nearly", "almost", "approx", "roughly", "some", "up to"),
    *("estimated", "as many", "close to", "~"),
)
_CUR_HINTS = ("$", "€", "£", "usd")
_INTERCEPT_HINTS = ("shot", "shoot", "intercept", "down", "destroy", "neutrali", "repel")
_KILLED_HINTS = ("kill", "lives of", "toll", "dead")
_INJURED_HINTS = ("injur", "wound")


# Substrings one of which every regex that ``_kind`` matches against ``right`` needs (the
# currency names, weapons, interception, serious, killed, injured and missing words), and
# those its left-context regexes need: a candidate with none of them, whose right context
# does not start with a distance unit, is no figure. One ``search`` instead of ~10 regexes.
_RIGHT_NEEDS = re.compile(
    r"dollars|eur|pounds|usd|gbp|roubles|rubles|hryvnia|yuan|yen|rupees|shekels"
    r"|drone|missile|rocket|uav|shahed|projectile|shells|glide"
    r"|shot down|intercepted|downed|destroyed|neutrali|serious|critical|grave|severely"
    r"|killed|dead|died|deaths|fatalities|slain|lives|injured|wounded|hurt|injuries|missing"
)
_DIST_STARTS = ("km", "kilomet", "mi")


def _could_be_kind(left: str, right: str) -> bool:
    """A necessary condition for ``_kind`` to find a kind (it is exact: ``_kind`` returns
    (None, None) whenever this is False)."""
    if _has(left[-5:], _CUR_HINTS) or _RIGHT_NEEDS.search(right) is not None:
        return True
    head = right.lstrip()
    if head.startswith("-"):
        head = head[1:].lstrip()
    if head.startswith(_DIST_STARTS):
        return True
    return _has(left, _KILLED_HINTS) or _has(left, _INJURED_HINTS)


def _kind(left: str, right: str, last_weapon: str | None) -> tuple[str | None, str | None]:
    cur = _cur_left(left) if _has(left[-5:], _CUR_HINTS) else None
    if cur:
        return "money", _CURRENCY_LEFT[cur.strip()]
    c = _CUR_RIGHT.match(right)
    if c:
        name = c.group(1)
        return "money", _CUR_NAMES.get(name, name.upper()[:3])
    d = _DIST.match(right)
    if d:
        return "distance", "mi" if d.group(1).startswith("mi") else "km"
    w = _WEAPON.match(right)
    if w:
        unit = _weapon_unit(w.group(1))
        after = right[w.end() :]
        if (_has(left, _INTERCEPT_HINTS) and _INTERCEPT_L.search(left)) or _INTERCEPT_R.match(
            after
        ):
            return "intercepted", unit
        if _LAUNCH.search(left[-30:]) or _LAUNCH.search(after[:30]):
            return "launched", unit
        return None, None
    if _INTERCEPT_R.match(right) and last_weapon:
        return "intercepted", last_weapon
    if _SERIOUS.match(right):
        return "serious", "people"
    gap = right[:30]
    if (_has(left, _KILLED_HINTS) and _KILLED_L.search(left)) or (
        _KILLED_R.match(right) and not _NOT_PEOPLE.search(gap) and not _SUBSET.match(right)
    ):
        return "killed", "people"
    if (_has(left, _INJURED_HINTS) and _ends_with(left, _INJURED_WORDS, True)) or (
        _INJURED_R.match(right) and not _NOT_PEOPLE.search(gap) and not _SUBSET.match(right)
    ):
        return "injured", "people"
    if _MISSING_R.match(right):
        return "missing", "people"
    return None, None


def _weapon_unit(noun: str) -> str:
    if noun.startswith(("drone", "uav", "shahed")):
        return "drones"
    if noun.startswith("glide"):
        return "bombs"
    return noun if noun.endswith("s") else noun + "s"


# a word every ``_PERIOD`` match ends with: without one, no sentence of the text has a period
_PERIOD_WORDS = frozenset(
    [
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december", "overnight", "night", "week", "month"),
    ]
)


def _period(doc: Doc, pos: int) -> str | None:
    if _PERIOD_WORDS.isdisjoint(doc.words):
        return None
    lo, hi = doc.sentence(pos)
    best: tuple[int, str] | None = None
    for m in _PERIOD.finditer(doc.low, lo, hi):
        word = m.group(1)
        if word in _MONTHS and not re.search(
            r"(?:in|during|since|of|early|late)\s+$", doc.low[max(lo, m.start() - 10) : m.start()]
        ):
            continue
        dist = abs(m.start() - pos)
        if best is None or dist < best[0]:
            best = (dist, doc.text[m.start() : m.end()])
    return best[1] if best else None
