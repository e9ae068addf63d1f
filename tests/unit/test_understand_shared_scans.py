"""The speed-ups of the understanding stage must not change what it finds: word starts
read from the shared translated text, the exact word-character table, the memo of
capitalised runs and the period gate."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from streams.understand import place_runs
from streams.understand.anchors import LEXICON, NOT_WORD, AnchorIndex, words_of
from streams.understand.figures import _PERIOD, _PERIOD_WORDS
from streams.understand.lexicon import _spaced_starts, _word_starts
from streams.understand.place_runs import _resolve_run, run_hits
from streams.understand.text import Doc

# letters, digits, joiners, white space and characters beyond U+3000 (CJK punctuation,
# ideographs, emoji) that the old table left untranslated
_CHARS = st.sampled_from([*"ain ANI-'’.,_\t\n2", "。", "東", "🚀", "İ", "ß", "\u0301"])
_TEXTS = st.text(_CHARS, max_size=60)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.sampled_from(["a", "an", "in", "ai", "東"]), st.booleans())
@example("in。in🚀in", "in", True)
@example("ain an in_in", "in", False)
def test_spaced_starts_are_word_starts(text: str, key: str, whole: bool) -> None:
    spaced = " " + text.translate(NOT_WORD) + " "
    assert _spaced_starts(spaced, key, whole) == _word_starts(text, key, whole)


@given(_TEXTS)
@example("drone🚀 strike。東京")
def test_not_word_keeps_exactly_the_alphanumeric_characters(text: str) -> None:
    out = text.translate(NOT_WORD)
    assert len(out) == len(text)
    assert all((o == c) if c.isalnum() else (o == " ") for c, o in zip(text, out, strict=True))


def test_emoji_and_cjk_punctuation_end_a_word() -> None:
    assert words_of("drone🚀 strike。") == {"drone", "strike"}


def test_a_primed_doc_finds_what_a_fresh_text_finds() -> None:
    index: AnchorIndex[str] = AnchorIndex()
    index.add(re.compile(r"\b(?:air ?strikes?|drones?)\b"), "strike")
    index.add(re.compile(r"\bin\s+(?:the\s+)?north\b"), "north")
    title = "Air strike in the north; drones in North Kivu"
    doc = Doc(title, "Drones, airstrikes。Drone🚀")
    fresh = "".join(list(doc.low))  # an equal text the cache has not seen
    assert fresh is not doc.low
    LEXICON.prime(doc.low, " " + doc.low.translate(NOT_WORD) + " ")
    primed = sorted(index.finditer(doc.low, doc.words))
    assert primed == sorted(index.finditer(fresh, words_of(fresh)))
    assert len(primed) == 7  # 5 strikes (air strike, drones x2, airstrikes, drone), 2 norths


def test_run_memo_returns_what_resolving_returns() -> None:
    for run in ["Kyiv", "President Jackson", "Paris Hilton", "Khan Younis", "Ab", "New York's"]:
        assert run_hits(run) == _resolve_run(run)
        assert run_hits(run) == _resolve_run(run)  # second time: from the memo


def test_run_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(place_runs, "_RUN_HITS", {})
    monkeypatch.setattr(place_runs, "_RUN_HITS_MAX", 3)
    for run in ["Kyiv", "Odesa", "Lviv", "Kharkiv", "Dnipro"]:
        run_hits(run)
    assert 0 < len(place_runs._RUN_HITS) <= 3
    long_run = " ".join(["Kyiv"] * 20)  # a Title Case headline: not memoised
    assert run_hits(long_run) == _resolve_run(long_run)
    assert long_run not in place_runs._RUN_HITS


def test_period_gate_words_end_every_period() -> None:
    body = _PERIOD.pattern.split("(", 1)[1].rsplit(")", 1)[0]
    last_words = {alt.split()[-1] for alt in body.split("|")}
    assert last_words == _PERIOD_WORDS
