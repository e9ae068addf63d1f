from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.errors import ConfigError
from streams.understand import Analyzer, load_taxonomy
from streams.understand.analyzer import DEFAULT_TAXONOMY
from streams.understand.anchors import (
    AnchorIndex,
    anchors_of,
    later_words,
    literal_prefixes,
    words_of,
)
from streams.understand.taxonomy import parse_taxonomy

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_default_matches_config() -> None:
    assert DEFAULT_TAXONOMY.read_bytes() == (ROOT / "config" / "taxonomy.yaml").read_bytes()


def base() -> dict[str, Any]:
    return {
        "categories": {
            "strike": {
                "cues": {"weapon": [r"\bdrones?\b"]},
                "patterns": [{"match": r"\bstrikes?\b", "weight": 0.6, "requires": ["weapon"]}],
            }
        }
    }


@pytest.mark.parametrize(
    ("edit", "key", "reason"),
    [
        (
            lambda d: d["categories"]["strike"]["patterns"].append({"match": "(unclosed"}),
            "categories.strike.patterns[1].match",
            "bad regular expression",
        ),
        (
            lambda d: d["categories"]["strike"]["patterns"].append({"match": r"\bDrone"}),
            "categories.strike.patterns[1].match",
            "lowercase",
        ),
        (
            lambda d: d["categories"]["strike"]["patterns"][0].update(weight="high"),
            "categories.strike.patterns[0].weight",
            "expected a number",
        ),
        (
            lambda d: d["categories"]["strike"]["patterns"][0].update(weight=2),
            "categories.strike.patterns[0].weight",
            "between",
        ),
        (
            lambda d: d["categories"]["strike"]["patterns"][0].update(colour="red"),
            "categories.strike.patterns[0].colour",
            "unknown field",
        ),
        (
            lambda d: d["categories"]["strike"]["patterns"][0].update(requires=["target"]),
            "categories.strike.patterns[0].requires[0]",
            "no cue group",
        ),
        (
            lambda d: d["categories"]["strike"]["cues"].update(weapon=["[bad"]),
            "categories.strike.cues.weapon[0]",
            "bad regular expression",
        ),
        (
            lambda d: d["categories"]["strike"].update(block=["x*"]),
            "categories.strike.block[0]",
            "empty string",
        ),
        (
            lambda d: d["categories"]["strike"].update(patterns=[]),
            "categories.strike.patterns",
            "at least one",
        ),
        (
            lambda d: d.update(severity={"categories": {"riot": 3}}),
            "severity.categories.riot",
            "unknown category",
        ),
        (
            lambda d: d.update(severity={"rules": [{"figure": "goals", "severity": 3}]}),
            "severity.rules[0].figure",
            "unknown figure kind",
        ),
        (
            lambda d: d.update(severity={"rules": [{"severity": 9}]}),
            "severity.rules[0].severity",
            "between",
        ),
        (lambda d: d.update(colour="red"), "colour", "unknown field"),
        (
            lambda d: d["categories"].update({"Bad Name": {"patterns": ["x"]}}),
            "categories.Bad Name",
            "lowercase",
        ),
    ],
)
def test_validation_errors_name_the_key(edit: Any, key: str, reason: str) -> None:
    data = base()
    edit(data)
    with pytest.raises(ConfigError) as err:
        parse_taxonomy(data, "tax.yaml")
    assert err.value.key == key
    assert reason in err.value.reason
    assert str(err.value).startswith(f"tax.yaml: {key}: ")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_taxonomy(bad)


def test_a_category_added_in_yaml_works_without_code(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "config" / "taxonomy.yaml").read_text(encoding="utf-8"))
    data["categories"]["cyber"] = {
        "cues": {"target": [r"\b(?:hospital|grid|ministry|bank)s?\b"]},
        "patterns": [
            {
                "match": r"\b(?:cyber-?attacks?|ransomware|hackers?)\b",
                "weight": 0.6,
                "requires": ["target"],
            },
        ],
    }
    path = tmp_path / "tax.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    a = Analyzer.from_file(path)
    got = {c.name for c in a.analyze("Ransomware gang hits hospital systems").categories}
    assert got == {"cyber"}
    assert a.analyze("Hackers for hire: a documentary").categories == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("killed in a drone strike overnight", True),
        ("killed in the strike", True),
        ("injured in shelling", True),
        ("in a strikeout the pitcher", False),
        ("in a football match", False),
    ],
)
def test_later_word_gate_through_optional_groups(text: str, found: bool) -> None:
    index: AnchorIndex[str] = AnchorIndex()
    index.add(re.compile(r"\bin\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:strikes?|shelling)\b"), "x")
    assert bool(list(index.finditer(text, words_of(text)))) is found


@pytest.mark.parametrize(
    ("pattern", "anchors"),
    [
        (r"\b(?:missile|drone)s?\s+strikes?", ["drone", "missile"]),
        (r"\bco-?produc\w*", ["co-produc", "coproduc"]),
        (r"\b(?:the\s+)?drone", ["drone", "the"]),
        (r"\d+\s+km", None),
    ],
)
def test_literal_prefixes(pattern: str, anchors: list[str] | None) -> None:
    got = literal_prefixes(pattern)
    assert (got[0] if got else None) == anchors


@pytest.mark.parametrize(
    "pattern",
    [
        r"\b(?:missile|drone)s?\s+(?:strikes?|attacks?)\b",
        r"\b(?:killed|dead|wounded)\b",
        r"\bco-?produc\w*",
        r"(?:strike|struck)",
        r"\b(?:air ?raids?|airstrikes?)\b",
        r"\d+\s+(?:km|miles)",
    ],
)
def test_anchor_index_finds_what_finditer_finds(pattern: str) -> None:
    text = (
        "drone strikes and missile attack; an airstrike, air raids and airraid. co-production and "
        "coproducer. 40 km and 3 miles; killed, dead, wounded; strikers struck. dronestrike"
    )
    rx = re.compile(pattern)
    index: AnchorIndex[int] = AnchorIndex()
    index.add(rx, 1)
    got = sorted((s, e) for _, s, e in index.finditer(text, words_of(text)))
    assert got == [m.span() for m in rx.finditer(text)]


def test_a_word_and_a_word_prefix_sharing_an_anchor_both_match() -> None:
    index: AnchorIndex[str] = AnchorIndex()
    index.add(re.compile(r"\b(?:launch)\b"), "word")
    index.add(re.compile(r"\blaunch\w*\s+drones\b"), "prefix")
    text = "they launched drones; then launch"
    got = sorted((p, s) for p, s, _ in index.finditer(text, words_of(text)))
    assert got == [("prefix", 5), ("word", 27)]


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (
            r"\b(?:was|is)\s+under\s+(?:fire|attack)\b",
            [[("under", True)], [("attack", True), ("fire", True)]],
        ),
        (r"\bofficials?\s+(?:said|told)", [[("said", False), ("told", False)]]),
        (r"\b(?:strikes?|struck)\b", []),
        (r"\bco-?produc\w*", []),
        # optional groups that end in white space still leave the next group at a word start
        (
            r"\b(?:in|by)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:strikes?|bombing)\b",
            [[("bombing", True), ("strike", True), ("strikes", True)]],
        ),
        (r"\bheavy\s+(?:\w+\s+){0,2}?fire\b", [[("fire", True)]]),
        # an optional group that may end inside a word: the next group need not start one
        (r"\bin\s+(?:pre-?)?(?:dawn|night)\b", []),
        (r"\bin\s+(?:\w+)?(?:dawn|night)\b", []),
    ],
)
def test_later_words(pattern: str, words: list[list[tuple[str, bool]]]) -> None:
    assert later_words(pattern) == words


@pytest.mark.parametrize(
    ("pattern", "anchors"),
    [
        (r"\b(?:on|its)\s+strike\b", [("its", True), ("on", True)]),
        (r"\b(?:on|onto)\s+strike\b", [("on", False)]),  # re merges them: "on" + "to"?
        (r"\b(?:un|us)(?:\s+(?:envoy|aid))?\s+officials\b", [("un", True), ("us", True)]),
        (r"\bproduc\w*", [("produc", False)]),
        (r"\bdrones?\b", [("drone", False)]),
    ],
)
def test_anchors_know_whether_a_word_is_complete(
    pattern: str, anchors: list[tuple[str, bool]]
) -> None:
    got = anchors_of(pattern)
    assert got is not None and got[0] == anchors


def test_every_taxonomy_regex_is_found_where_finditer_finds_it() -> None:
    """The index tries a regex only where its anchors are, gated on the words of the text:
    it must still find every match ``finditer`` finds, and only real matches."""
    tax = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    regexes = [
        rx
        for cat in tax.categories
        for rx in (
            *(p.regex for p in cat.patterns),
            *(r for rs in cat.cues.values() for r in rs),
            *cat.block,
        )
    ]
    lines = (ROOT / "tests" / "eval" / "understand_eval.jsonl").read_text(encoding="utf-8")
    texts = [
        (item["title"] + "\n\n" + item.get("summary", "")).lower()
        for item in map(json.loads, lines.splitlines()[::3])
    ]
    for i, rx in enumerate(regexes):
        index: AnchorIndex[int] = AnchorIndex()
        index.add(rx, i)
        for text in texts:
            got = {s for _, s, _ in index.finditer(text, words_of(text))}
            want = {m.start() for m in rx.finditer(text)}
            assert want <= got, (rx.pattern, text)
            assert all(rx.match(text, s) for s in got), (rx.pattern, text)


def test_a_gated_entry_needs_a_key_of_each_gate() -> None:
    index: AnchorIndex[str] = AnchorIndex()
    index.add(re.compile(r"\bhit\b"), "hit", gates=(frozenset({"drone", "missile"}),))
    assert not list(index.finditer("a hit song", words_of("a hit song")))
    text = "the drone hit a depot"
    assert [(p, s) for p, s, _ in index.finditer(text, words_of(text))] == [("hit", 10)]


def test_building_another_analyzer_does_not_change_the_first() -> None:
    """Indexes share one lexicon of key words; a taxonomy reload adds keys (here a new
    word prefix) to it while the old analyzer may still be in use."""
    first = Analyzer.default()
    title = "Drones struck an ammunition depot overnight, killing two"
    before = first.analyze(title)
    parse = {
        "categories": {"cyber": {"patterns": [r"\bcyberstrik\w*", r"\bransomwar\w*"]}},
    }
    Analyzer(parse_taxonomy(parse)).analyze("A cyberstrike hit the bank")
    assert first.analyze(title) == before
