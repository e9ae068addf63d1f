"""One article's text, prepared once for every extractor. Pure module.

``words`` is the set of the article's lowercased words, what every anchor index is gated on.

Title, summary and content are joined (blank line between) so each regex scans the article
once; offsets are mapped back to a (field, offset) pair for evidence.
"""

from __future__ import annotations

from bisect import bisect_right

from streams.events import Evidence
from streams.understand.lexicon import LEXICON, NOT_WORD

SEP = "\n\n"
# "U.S." and "1.5" do not end a sentence
_SENTENCE_MARKS = ".!?"


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # a few characters (e.g. "İ") lowercase to two; keep offsets aligned
    return "".join(c.lower()[:1] for c in text)


class Doc:
    __slots__ = ("_ends", "_offsets", "bounds", "fields", "low", "spaced", "text", "words")

    def __init__(self, title: str, summary: str = "", content: str = "") -> None:
        parts = [(f, t) for f, t in (("title", title), ("summary", summary), ("content", content))]
        parts = [(f, t) for f, t in parts if t]
        self.fields = [f for f, _ in parts]
        self.bounds: list[tuple[int, int]] = []
        pos = 0
        for _, t in parts:
            self.bounds.append((pos, pos + len(t)))
            pos += len(t) + len(SEP)
        self._offsets = [b[0] for b in self.bounds]
        self.text = SEP.join(t for _, t in parts)
        self.low = _lower_same_length(self.text)
        # the text with every non-word character made a space, translated once (translating
        # costs ~3 us per KB of ASCII but ~30 us once a curly quote or dash is in the text):
        # the places read its capitalised words; lowered, it gives the word set, and the
        # word-start finder of the anchor indexes reads it
        self.spaced = self.text.translate(NOT_WORD)
        spaced_low = self.spaced.lower()
        if len(spaced_low) != len(self.spaced):
            # a character lowercases to two ("İ"): ``low`` keeps one, so translate it
            spaced_low = self.low.translate(NOT_WORD)
        self.words = set(spaced_low.split())
        LEXICON.prime(self.low, " " + spaced_low + " ")
        self._ends: list[int] | None = None

    def field_index(self, pos: int) -> int:
        return max(0, bisect_right(self._offsets, pos) - 1)

    def local(self, start: int, end: int) -> tuple[str, int, int]:
        """(field, start, end) relative to the field."""
        fi = self.field_index(start)
        base = self.bounds[fi][0]
        return self.fields[fi], start - base, end - base

    def evidence(self, start: int, end: int) -> Evidence:
        f, s, e = self.local(start, end)
        return Evidence(f, s, e, self.text[start:end])

    def sentence(self, pos: int) -> tuple[int, int]:
        """Bounds of the sentence around ``pos``: [end of previous sentence, end of this one)."""
        if self._ends is None:
            self._ends = _sentence_ends(self.text)
        i = bisect_right(self._ends, pos)
        lo = self._ends[i - 1] if i else 0
        hi = self._ends[i] if i < len(self._ends) else len(self.text)
        return lo, hi


def _sentence_ends(text: str) -> list[int]:
    """Positions just after each sentence end: a newline, or ".!?" followed by white space
    and not preceded by a capital ("U.S. officials"). ``str.find`` loops: a regex scan of
    the whole text costs several times more in CPython."""
    out = []
    n = len(text)
    find = text.find
    for mark in _SENTENCE_MARKS:
        i = find(mark)
        while i >= 0:
            if i + 1 < n and text[i + 1].isspace() and not (i and text[i - 1].isupper()):
                out.append(i + 1)
            i = find(mark, i + 1)
    i = find("\n")
    while i >= 0:
        out.append(i + 1)
        i = find("\n", i + 1)
    return sorted(set(out))
