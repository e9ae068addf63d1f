from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.errors import InputError
from streams.understand import Analyzer, classify_record, evaluate, format_report

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "eval" / "understand_eval.jsonl"
A = Analyzer.default()


def test_eval_set_shape() -> None:
    items = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line]
    assert len(items) >= 450
    assert len({i["id"] for i in items}) == len(items)
    negatives = sum(1 for i in items if not i["labels"])
    assert negatives >= len(items) / 3


def test_macro_f1_on_our_eval_set() -> None:
    report = evaluate(A, EVAL)
    assert report.items >= 450
    assert report.macro_f1 >= 0.9, format_report(report)
    for c in report.categories:
        assert c.f1 >= 0.85, format_report(report)
    assert report.figure_recall >= 0.75, format_report(report)
    text = format_report(report)
    assert "macro-F1" in text and "strike" in text


def test_evaluate_scores_errors(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    lines = [
        {"id": "a", "title": "Missile strike kills four in Kharkiv", "labels": ["strike"]},
        {"id": "b", "title": "Bakery opens second shop", "labels": ["strike"]},
        {"id": "c", "title": "Drone strike hits depot", "labels": []},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    report = evaluate(A, path)
    strike = next(c for c in report.categories if c.name == "strike")
    assert (strike.tp, strike.fp, strike.fn) == (1, 1, 1)
    assert strike.precision == 0.5 and strike.recall == 0.5
    assert len(report.errors) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "not JSON"),
        ('{"title": "x", "labels": "strike"}\n', "'labels' must be a list"),
        ('{"labels": []}\n', "'title' must be a string"),
        ("[1, 2]\n", "expected a JSON object"),
    ],
)
def test_evaluate_bad_lines(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        evaluate(A, path)


def test_classify_record() -> None:
    rec = {"title": "Missile strike kills 4 in Kharkiv", "summary": "", "url": "u"}
    out = classify_record(A, rec, explain=True)
    assert out["url"] == "u"
    assert out["categories"][0]["name"] == "strike"
    assert out["categories"][0]["evidence"][0]["field"] == "title"
    assert out["figures"][0]["kind"] == "killed" and out["figures"][0]["value"] == 4
    assert out["places"][0]["name"] == "Kharkiv"
    assert out["severity"] == 4
    assert "category strike" in out["explanation"]
    assert "severity 4" in out["explanation"]
    json.dumps(out)  # plain JSON types only


@pytest.mark.parametrize(
    "rec", [{"summary": "no title"}, {"title": 3}, {"title": "x", "content": ["a"]}, "text"]
)
def test_classify_record_rejects_bad_input(rec: object) -> None:
    with pytest.raises(InputError):
        classify_record(A, rec)  # type: ignore[arg-type]
