from __future__ import annotations

import pytest

from streams.understand import Analyzer

A = Analyzer.default()


@pytest.mark.parametrize(
    ("text", "kind", "value", "extra"),
    [
        (
            "Ukraine shot down 20 drones overnight",
            "intercepted",
            20,
            {"unit": "drones", "period": "overnight"},
        ),
        ("At least 12 people were killed in the strike", "killed", 12, {"lower_bound": True}),
        ("Shelling killed 10 to 15 civilians", "killed", 10, {"low": 10, "high": 15}),
        ("between 20 and 30 people died in the attack", "killed", 20, {"low": 20, "high": 30}),
        ("Dozens were injured in the attack", "injured", 24, {"approximate": True}),
        (
            "Russia launched 5,438 drones in June",
            "launched",
            5438,
            {"unit": "drones", "period": "June"},
        ),
        ("Three people were killed in the blast", "killed", 3, {}),
        ("the raid left ten wounded", "injured", 10, {}),
        ("Five people are in serious condition", "serious", 5, {}),
        ("35 were hurt, 10 of them seriously", "serious", 10, {}),
        ("Two soldiers remain missing after the blast", "missing", 2, {}),
        (
            "The plant is about 1,300 km from the border",
            "distance",
            1300,
            {"unit": "km", "approximate": True},
        ),
        ("The town lies 40 miles north of the capital", "distance", 40, {"unit": "mi"}),
        ("The contract is worth $1.2 billion", "money", 1.2e9, {"unit": "USD"}),
        ("The EU approved 50 billion euros in aid", "money", 5e10, {"unit": "EUR"}),
        (
            "Russia fired 40 missiles, of which 35 were intercepted",
            "intercepted",
            35,
            {"unit": "missiles"},
        ),
        ("The death toll rose to 31 on Sunday", "killed", 31, {}),
    ],
)
def test_figure(text: str, kind: str, value: float, extra: dict[str, object]) -> None:
    figs = [f for f in A.analyze(text).figures if f.kind == kind]
    assert len(figs) == 1, A.analyze(text).figures
    f = figs[0]
    assert f.value == value
    for key, want in extra.items():
        assert getattr(f, key) == want, key
    assert text[f.start : f.end] == f.text


@pytest.mark.parametrize(
    "text",
    [
        "The 2024 budget was approved on 12 March",
        "The team won 3-1 in front of 50,000 fans",
        "One of the largest companies reported results",
        "Page 12 of the report covers 2019",
    ],
)
def test_numbers_that_are_not_figures(text: str) -> None:
    assert A.analyze(text).figures == []


def test_attributed_to_the_source_in_the_sentence() -> None:
    u = A.analyze("Four people were killed, regional officials said.")
    (f,) = u.figures
    assert f.attributed_to == "regional officials"


def test_headline_and_lede_stating_the_same_figure_count_once() -> None:
    u = A.analyze("Strike kills three", "Three people were killed when a missile hit a school.")
    assert [(f.kind, f.value) for f in u.figures] == [("killed", 3.0)]


# A follow-up story: the toll of an earlier strike is revised upward. Both shapes must give
# the new toll, and a victim counted among the wounded is not a second, separate toll.
@pytest.mark.parametrize(
    ("title", "body", "killed"),
    [
        ("Death toll from Izhevsk weapons plant strike rises to four", "", [4.0]),
        (
            "Izhevsk strike toll revised",
            "Four people have now been killed after Ukrainian drones struck a weapons factory "
            "in Izhevsk, regional officials said, after one of the wounded died in hospital.",
            [4.0],
        ),
        ("Toll in port city shelling climbs to 17, officials say", "", [17.0]),
        ("The number of dead from the dam collapse has risen to 12", "", [12.0]),
        ("Two of them died on the way to hospital", "", []),
        ("Toll road prices rise to 4 dollars", "", []),
    ],
)
def test_revised_tolls(title: str, body: str, killed: list[float]) -> None:
    got = [f.value for f in A.analyze(title, body).figures if f.kind == "killed"]
    assert got == killed


def test_revised_toll_raises_severity_of_a_strike() -> None:
    u = A.analyze("Death toll from Izhevsk weapons plant strike rises to four")
    assert [c.name for c in u.categories] == ["strike"]
    assert u.severity == 4


def test_phrase_end_tests_agree_with_the_regexes_they_replace() -> None:
    """figures.py tests "ends with one of these phrases" by hand instead of a ``$``-anchored
    regex search; both must say the same on any text (random texts made of the phrases,
    white space of several kinds, newlines and other characters)."""
    import random

    from streams.understand import figures as f

    rng = random.Random(1)
    atoms = [*f._LOWER_WORDS, *f._APPROX_WORDS, *f._INJURED_WORDS, "between", "moreover"]
    atoms += ["us$", "$", "€", "£", "usd", " ", "  ", "\n", "\t", "\u00a0", "x", "5", "-", "s"]
    regexes = [
        (f._LOWER, f._LOWER_WORDS, True),
        (f._APPROX, f._APPROX_WORDS, False),
        (f._INJURED_L, f._INJURED_WORDS, True),
        (f._BETWEEN, ("between",), True),
    ]
    for _ in range(20000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 6)))
        for rx, words, space in regexes:
            assert bool(rx.search(text)) == f._ends_with(text, words, space), (rx, text)
        m = f._CUR_LEFT.search(text)
        assert (m.group(1) if m else None) == f._cur_left(text), text
