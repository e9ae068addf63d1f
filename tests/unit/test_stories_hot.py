"""The hot-story cache (streams/stories/hot.py) changes no decision: the near-copy test
through ``NearCopies`` agrees with the walk over every member, and an index whose cache
always misses decides every article the same way."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.stories import packed as pk
from streams.stories.hot import Hot, HotStories, NearCopies
from streams.stories.index import StoryIndex
from streams.stories.lookup import near_copy_in

from .test_stories_fastpaths import member, sketch_values, story_of
from .test_stories_followups import doc


@settings(max_examples=300)
@given(st.lists(member, max_size=16), sketch_values, st.lists(st.integers(0, 8), max_size=8))
def test_near_copies_agree_with_the_walk(
    members: list[tuple[int, tuple[int, ...], tuple[int, ...]]],
    mine: list[int],
    names: list[int],
) -> None:
    blob, fp = story_of(members, mine, names)
    grown = NearCopies()
    for oid, sk, facts in members:
        grown.add(oid, tuple(v >> 16 for v in sk), pk.facts_of(facts, (), ()))
    for outlet in (0, 1, 9):
        walked = near_copy_in(blob, fp, outlet)
        assert near_copy_in(blob, fp, outlet, NearCopies.of(blob)) == walked
        assert near_copy_in(blob, fp, outlet, grown) == walked


class _Cold(HotStories):
    """A cache that never hits: every decision rebuilt from the blob."""

    def get(self, slot: int, blob: bytes) -> Hot:
        return Hot(blob)


def test_an_index_whose_cache_always_misses_decides_the_same() -> None:
    rng = random.Random(4)
    body = "A drone hit a fuel depot in Odesa overnight, killing 3 people, Oleh Kiper said."
    other = "Dock workers in Rotterdam walked out over pay, the union FNV said on Monday."
    docs = []
    for i in range(160):
        outlet = f"o{rng.randint(0, 12)}"
        text = body if rng.random() < 0.7 else other
        title = rng.choice(["Drone hits Odesa fuel depot", "Odesa depot hit by drone, 3 dead"])
        if text is other:
            title = rng.choice(["Rotterdam dock strike", "Dockers strike in Rotterdam"])
        hour = rng.randint(0, 9)
        aid = f"a{i}" if rng.random() < 0.9 else f"a{rng.randint(0, max(i - 1, 0))}"
        docs.append(doc(aid, outlet, title, text, f"2024-05-01T0{hour}:{i % 60:02d}:00Z"))
    warm, cold = StoryIndex(), StoryIndex()
    cold._hot = _Cold()
    small = StoryIndex()
    small._hot = HotStories(cap=1)
    few_copies = StoryIndex()
    few_copies._hot = HotStories(cap=4, copies_cap=1)
    for d in docs:
        want = cold.assign(d)
        assert warm.assign(d) == want
        assert small.assign(d) == want
        assert few_copies.assign(d) == want
    assert max(len(b) for b in warm._stories if b is not None) > 2000  # big stories
