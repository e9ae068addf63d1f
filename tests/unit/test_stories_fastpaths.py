"""The story stage's fast paths give exactly what the plain per-item code gives.

Each fast path (big-int shingle hashing, C-level filters, one-walk near-copy test,
representatives carried from ``_remember`` to ``decide``) is checked against a
straightforward implementation written here, on generated inputs.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from streams.errors import InputError
from streams.stories import packed as pk
from streams.stories import text as tx
from streams.stories.candidates import KeyBuckets
from streams.stories.decision import decide
from streams.stories.fingerprint import (
    Fingerprint,
    _lowered,
    fingerprint_from_dict,
    fingerprint_to_dict,
)
from streams.stories.index import StoryIndex, _id_keys
from streams.stories.lookup import MIN_EVIDENCE, candidates, near_copy_in, weight
from streams.stories.verify import MIN_SKETCH, SYNDICATED_RESEMBLANCE, same_facts

from .test_stories_followups import doc


def naive_sketch(lowered: list[str], k: int) -> tuple[int, ...]:
    hs = [tx.h32(w) for w in lowered]
    if len(hs) < 3:
        return (tx.h32(" ".join(lowered)),) if lowered else ()
    mixed = {
        ((a * 0x9E3779B1) ^ (b * 0x85EBCA77) ^ (c * 0xC2B2AE3D)) & 0xFFFFFFFF or 1
        for a, b, c in zip(hs, hs[1:], hs[2:], strict=False)
    }
    return tuple(sorted(mixed)[:k])


small_words = st.lists(st.sampled_from(["a", "b", "c", "dd", "e'f", "Kyiv", "é"]), max_size=60)
many_words = st.lists(st.text("abcdefghij", min_size=1, max_size=6), min_size=30, max_size=400)


@settings(max_examples=300)
@given(st.one_of(small_words, many_words), st.sampled_from([1, 3, 8, 20]))
def test_sketch_is_the_bottom_k_of_per_shingle_hashes(words: list[str], k: int) -> None:
    assert tx.sketch(words, k) == naive_sketch(words, k)


@settings(max_examples=200)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=120), st.sampled_from([1, 8]))
def test_bottom_k_counts_a_zero_as_one_and_repeats_once(values: list[int], k: int) -> None:
    lanes = sum(v << (64 * i) for i, v in enumerate(values))
    assert tx._bottom_k(lanes, len(values), k) == tuple(sorted({v or 1 for v in values})[:k])


def test_bottom_k_of_uniform_values_takes_the_barred_path_and_agrees() -> None:
    values = [(i * 2654435761) & 0xFFFFFFFF for i in range(1, 301)]
    lanes = sum(v << (64 * i) for i, v in enumerate(values))
    assert tx._bottom_k(lanes, len(values), 8) == tuple(sorted(set(values))[:8])


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_lowering_joined_words_equals_lowering_each(text: str) -> None:
    ws = tx.words(text)
    assert _lowered(ws) == [w.lower() for w in ws]


def test_keyword_hashes_skip_cached_stopwords_and_match_the_stems() -> None:
    ws = tx.words("The drone strike hit the depot and the depot burned, officials said")
    for _ in range(2):  # the second call reads every word from the cache
        assert tx.keyword_hashes(ws) == [(s, tx.h32(s)) for s in tx.keyword_stems_of(ws)]


def naive_candidates(buckets: KeyBuckets, keys: list[int]) -> list[tuple[int, int]]:
    counts: Counter[int] = Counter()
    for key in keys:
        found = list(buckets.recent(key))
        for slot in found:
            counts[slot] += weight(len(found), buckets.keep)
    ranked = [(s, n) for s, n in counts.items() if n >= MIN_EVIDENCE]
    return sorted(ranked, key=lambda kv: kv[1], reverse=True)


@settings(max_examples=100)
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(1, 40)), max_size=200))
def test_candidates_rank_as_a_plain_count(filed: list[tuple[int, int]]) -> None:
    buckets = KeyBuckets(keep=4)
    for key, slot in filed:
        buckets.add(key, slot)
    keys = list(range(1, 13))
    assert candidates(buckets, keys) == naive_candidates(buckets, keys)


def naive_near_copy(blob: bytes, fp: Fingerprint, outlet: int) -> bool:
    if len(fp.sketch) < MIN_SKETCH:
        return False
    mine = tuple(v >> 16 for v in fp.sketch)
    facts = set(pk.facts_of(fp.names, fp.places, fp.numbers))
    return any(
        m.outlet != outlet
        and len(m.sketch) >= MIN_SKETCH
        and tx.resemblance(mine, m.sketch) >= SYNDICATED_RESEMBLANCE
        and same_facts(facts, set(m.facts))
        for m in pk.members(blob)
    )


sketch_values = st.lists(st.integers(0, 40).map(lambda v: v << 16), min_size=0, max_size=8)
member = st.tuples(
    st.integers(0, 3),  # outlet
    sketch_values.map(lambda v: tuple(sorted(v))),
    # facts: often exactly as many as a full sketch has values, to tell the two apart
    st.one_of(
        st.just((1, 2, 3, 4, 5, 6, 7, 8)), st.lists(st.integers(0, 6), max_size=8).map(tuple)
    ),
)


@settings(max_examples=300)
def story_of(
    members: list[tuple[int, tuple[int, ...], tuple[int, ...]]], mine: list[int], names: list[int]
) -> tuple[bytes, Fingerprint]:
    """A packed story of ``members`` (outlet, sketch, facts) and an article's fingerprint."""
    recs = b"".join(
        pk.record(1.0, oid, False, 1, 2, 3, sk, facts, [], f"a{i}", "")
        for i, (oid, sk, facts) in enumerate(members)
    )
    blob = pk.build("s-1", 1.0, 1.0, 1.0, len(members), pk.Summary((), (), (), ()), recs)
    return blob, Fingerprint((), tuple(names), (), (), tuple(sorted(mine)), 1, 2)


@given(st.lists(member, max_size=12), sketch_values, st.lists(st.integers(0, 8), max_size=8))
@example(  # a short sketch next to 8 facts: the walk must not read facts as sketch values
    [(1, (10 << 16, 20 << 16, 30 << 16, 40 << 16), (1, 2, 3, 4, 5, 6, 7, 8))],
    [10 << 16, 20 << 16, 30 << 16, 40 << 16],
    [1, 2, 3, 4, 5, 6, 7, 8],
)
def test_near_copy_agrees_with_testing_every_member(
    members: list[tuple[int, tuple[int, ...], tuple[int, ...]]],
    mine: list[int],
    names: list[int],
) -> None:
    blob, fp = story_of(members, mine, names)
    for outlet in (0, 9):
        assert near_copy_in(blob, fp, outlet) == naive_near_copy(blob, fp, outlet)


def test_decisions_with_carried_representatives_equal_ones_built_from_the_blob() -> None:
    idx = StoryIndex()
    body = "A drone hit a fuel depot in Odesa overnight, killing 3 people, Oleh Kiper said."
    for i in range(12):
        outlet = f"o{i % 5}"
        title = "Drone hits Odesa fuel depot" if i % 2 else "Odesa depot hit by drone, 3 dead"
        d = doc(f"a{i}", outlet, title, body, f"2024-05-01T0{i % 9}:00:00Z")
        got = idx.assign(d)
        slot = idx._seen.get(_id_keys(d.article_id, d.url)[0])
        assert slot is not None
        blob = idx._blob(slot)
        assert blob is not None
        again = decide(blob, idx._outlets, got.kind, got.duplicate_of, got.syndicated)
        assert got == again
    assert len({s.outlet for s in got.sources}) == 5


def test_fingerprint_dicts_of_older_workers_still_read() -> None:
    older = {  # as a worker before `cued` wrote it; numbers may come back as strings
        "tokens": [5, "6"], "names": [7], "places": [], "numbers": [120],
        "sketch": [1, 2, 3, 4], "title_hash": 9, "text_hash": "10",
    }  # fmt: skip
    fp = fingerprint_from_dict(older)
    assert fp == Fingerprint((5, 6), (7,), (), (120,), (1, 2, 3, 4), 9, 10, False)
    assert fingerprint_from_dict(fingerprint_to_dict(fp)) == fp
    with pytest.raises(InputError):
        fingerprint_from_dict({**older, "tokens": ["x"]})
    with pytest.raises(InputError):
        fingerprint_from_dict({**older, "sketch": 5})


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_texts_scan_to_the_same_words(text: str) -> None:
    assert tx.words(text) == tx._WORD.findall(text)
    assert tx.word_parts(text)[1::2] == tx._WORD.findall(text)


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_word_parts_hold_the_words_and_the_text(text: str) -> None:
    parts = tx.word_parts(text)
    assert parts[1::2] == tx.words(text)
    assert "".join(parts) == text


_WORD_AFTER = re.compile(r"(?<=(...))(" + tx._WORD.pattern + ")", re.DOTALL)


def _runs_by_word(text: str) -> list[str]:
    """``capitalised_runs`` as it was written first: one word at a time."""
    runs: list[str] = []
    current: list[str] = []
    current_opens = False
    for i, (gap, w) in enumerate(_WORD_AFTER.findall("   " + text)):
        if w[0].isupper() and w.lower() not in tx.STOPWORDS:
            if current and not tx._BREAKS.isdisjoint(gap):
                if not current_opens or len(current) > 1:
                    runs.append(" ".join(current))
                current = []
            if not current:
                tail = gap.rstrip()
                current_opens = i == 0 or (tail != "" and tail[-1] in tx._ENDERS)
            current.append(w)
        elif current:
            if not current_opens or len(current) > 1:
                runs.append(" ".join(current))
            current = []
    if current and (not current_opens or len(current) > 1):
        runs.append(" ".join(current))
    return runs


_RUNS_ALPHABET = st.sampled_from(
    ["Kyiv", "The", "in", "Paris", "U.S.", "A", "THE", "Mayor", "Éva", "12", ",", ".", ":",
     " ", "  ", "(", ")", "\n", ". ", ";", "'", '"', "-", "’s", "x"]
)  # fmt: skip


@settings(max_examples=500)
@given(st.lists(_RUNS_ALPHABET, max_size=30).map("".join))
def test_runs_found_in_word_codes_equal_the_word_by_word_walk(text: str) -> None:
    assert tx.capitalised_runs(text) == _runs_by_word(text)
