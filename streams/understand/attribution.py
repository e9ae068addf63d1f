"""Who an article cites: outlets ("according to BBC and Al Jazeera", "Credited from:"),
agencies and officials ("regional officials said", "the governor said on Telegram",
"President X said"). Pure module.
"""

from __future__ import annotations

import re

from streams.events import Attribution
from streams.understand.anchors import AnchorIndex
from streams.understand.text import Doc

_ROLE_ADJ = (
    r"(?:regional|local|city|provincial|district|military|health|hospital|rescue|emergency|"
    r"police|government|senior|western|defen[cs]e|security|airport|aviation|medical|state|"
    r"municipal|israeli|palestinian|ukrainian|russian|iranian|syrian|sudanese|malian|"
    r"american|u\.s\.|us|un|european|chinese|korean|japanese|turkish|lebanese|yemeni|"
    r"houthi|hamas-run|kremlin|white house|administration|intelligence|rebel|army|"
    r"unnamed|two|three|several)"
)
_GROUP = re.compile(
    r"\b" + _ROLE_ADJ + r"(?:\s+" + _ROLE_ADJ + r")?\s+(?:officials?|authorities|sources|"
    r"spokesm[ae]n|spokeswom[ae]n|spokespersons?|services|ministry|governor|mayor)\b"
)
_INSTITUTION = re.compile(
    r"\b(?:regional\s+|local\s+)?(?:governor|mayor|defen[cs]e ministry|foreign ministry|"
    r"health ministry|interior ministry|emergencies ministry|ministry of [a-z]+(?: affairs)?|"
    r"army|military|air force|navy|general staff|kremlin|white house|pentagon|state department|"
    r"emergency services?|police|presidential office|idf|cabinet|president|prime minister|"
    r"coast guard|coastguard|united nations|un|junta|government|foreign office)\b"
)
_SPEECH_TEXT = (
    "said says say told reported reports announced stated wrote claimed confirmed denied "
    "added warned called urged posted according"
)
_SPEECH_WORDS = _SPEECH_TEXT.split()
_SPEECH = re.compile(r"\b(?:" + "|".join(_SPEECH_WORDS) + r")\b")
_SPEECH_SET = frozenset(_SPEECH_WORDS)
_CREDIT_WORDS = frozenset(["credited", "credit", "source", "sources", "via"])
_TITLED = re.compile(
    r"\b(?:president|governor|mayor|minister|prime minister|foreign minister|defen[cs]e minister|"
    r"chancellor|secretary|spokesm[ae]n|spokeswom[ae]n|spokesperson|general|gen\.|envoy|"
    r"ambassador|commander|chief)\s+"
)
_NAME = re.compile(r"(?:[A-Z][\w'’-]+|al-\w+)(?:\s+(?:[A-Z][\w'’-]+|al-\w+)){0,2}")
_CREDITED = re.compile(r"(?:credited from|credit|sources?|via)\s*:\s*([^\n]+)")


class AttributionFinder:
    def __init__(self, outlets: dict[str, str]) -> None:
        self._outlets: AnchorIndex[tuple[str, str]] = AnchorIndex()
        for name, kind in outlets.items():
            self._outlets.add(re.compile(r"\b" + re.escape(name.lower()) + r"\b"), (name, kind))
        self._roles: AnchorIndex[str] = AnchorIndex()
        self._roles.add(_GROUP, "role")
        self._roles.add(_INSTITUTION, "institution")
        self._roles.add(_TITLED, "titled")
        self._known = {n.lower(): k for n, k in outlets.items()}

    def find(self, doc: Doc) -> list[Attribution]:
        out: dict[str, Attribution] = {}

        def add(name: str, kind: str, start: int, end: int) -> None:
            key = name.lower()
            if key not in out:
                f, s, e = doc.local(start, end)
                out[key] = Attribution(name, kind, doc.text[start:end], f, s, e)  # type: ignore[arg-type]

        text, low = doc.text, doc.low
        for (name, kind), start, end in sorted(
            self._outlets.finditer(low, doc.words), key=lambda h: h[1]
        ):
            if text[start:end] == name:  # case matters: "the sun" is not The Sun
                add(name, kind, start, end)
        if not _CREDIT_WORDS.isdisjoint(doc.words):
            for m in _CREDITED.finditer(low):
                for part in re.split(r",|;|\band\b|/", text[m.start(1) : m.end(1)]):
                    name = part.strip(" .")
                    if name and len(name) < 40:
                        kind = self._known.get(name.lower(), "other")
                        at = text.find(name, m.start(1))
                        add(name, kind, at, at + len(name))
        if _SPEECH_SET.isdisjoint(doc.words):
            return sorted(out.values(), key=_order)  # nobody is quoted: no officials
        quoted: dict[int, bool] = {}  # sentence start -> has a speech verb
        for what, start, end in sorted(self._roles.finditer(low, doc.words), key=lambda h: h[1]):
            lo, hi = doc.sentence(start)
            said = quoted.get(lo)
            if said is None:
                said = quoted[lo] = _SPEECH.search(low, lo, hi) is not None
            if not said:
                continue  # a role merely mentioned, nobody quoted
            if what == "titled":
                who = _NAME.match(text, end)
                if who is None:
                    continue
                add(text[start : who.end()], "official", start, who.end())
            elif what == "role" or low.endswith("the ", 0, start):
                # "the governor said" names an office; bare "President" precedes a name
                add(text[start:end], "official", start, end)
        return sorted(out.values(), key=_order)


def _order(a: Attribution) -> tuple[bool, str, int]:
    return a.field != "title", a.field, a.start


def attributed_to(doc: Doc, attributions: list[Attribution], pos: int) -> str | None:
    """The sources cited in the sentence around ``pos``, joined ("BBC, Al Jazeera")."""
    lo, hi = doc.sentence(pos)
    names = []
    for a in attributions:
        if a.start < 0:
            continue
        base = doc.bounds[doc.fields.index(a.field)][0]
        if lo <= base + a.start < hi:
            names.append(a.name)
    return ", ".join(names) if names else None
