"""config/alerts.yaml: validation names the key of each mistake; reload by mtime."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from streams.alerts.rules import RuleSet, default_config, load_rules, parse_rules
from streams.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_shipped_alerts_file_is_valid() -> None:
    config = load_rules(REPO / "config" / "alerts.yaml")
    assert [r.name for r in config.rules][:2] == ["deadly-strike", "large-drone-attack"]
    deadly = config.rule("deadly-strike")
    assert deadly is not None and deadly.figures == (("killed", 1.0),)


def test_full_rule_and_destination_are_parsed() -> None:
    config = parse_rules(
        {
            "destinations": {
                "ops": {
                    "type": "slack_bot",
                    "token_env": "OPS_TOKEN",
                    "channel": "#ops",
                    "rate": {"per_second": 2, "burst": 4},
                    "retry": {"attempts": 3, "initial": 0.5, "max": "1m"},
                    "digest_after": 5,
                },
                "partner": {"type": "webhook", "url_file": "/run/secrets/u", "secret_env": "S"},
            },
            "rules": [
                {
                    "name": "r",
                    "categories": ["strike"],
                    "min_score": 0.6,
                    "min_severity": 3,
                    "figures": {"killed": 1, "launched": 20},
                    "countries": ["ua"],
                    "places": ["Kharkiv"],
                    "keywords": ["Drone"],
                    "min_sources": 2,
                    "outlets": ["Wire.Example"],
                    "destinations": ["ops", "partner", "console"],
                    "throttle": {"max": 3, "per": "15m"},
                    "digest": False,
                }
            ],
        }
    )
    rule = config.rules[0]
    assert rule.countries == ("UA",) and rule.places == ("kharkiv",)
    assert rule.keywords == ("drone",) and rule.outlets == ("wire.example",)
    assert rule.figures == (("killed", 1.0), ("launched", 20.0))
    assert rule.throttle is not None and (rule.throttle.max_alerts, rule.throttle.per) == (3, 900)
    assert rule.digest is False
    ops = config.destinations["ops"]
    assert ops.token is not None and ops.token.env == "OPS_TOKEN"
    assert ops.rate is not None and (ops.rate.per_second, ops.rate.burst) == (2, 4)
    assert (ops.retry.attempts, ops.retry.initial, ops.retry.maximum) == (3, 0.5, 60)
    assert ops.digest_after == 5
    assert config.destinations["partner"].url is not None
    assert config.destinations["partner"].url.file == "/run/secrets/u"


def test_rule_without_destinations_goes_to_default() -> None:
    assert parse_rules({"rules": [{"name": "x"}]}).rules[0].destinations == ("default",)


@pytest.mark.parametrize(
    ("doc", "key", "reason"),
    [
        (
            {"rules": [{"name": "a"}, {"name": "b", "min_severity": "high"}]},
            "rules[1].min_severity",
            "number",
        ),
        ({"rules": [{"name": "a", "min_score": 1.5}]}, "rules[0].min_score", "<= 1"),
        ({"rules": [{"name": "a", "min_severty": 3}]}, "rules[0].min_severty", "unknown key"),
        ({"rules": [{"min_severity": 3}]}, "rules[0].name", "required"),
        ({"rules": [{"name": "a"}, {"name": "a"}]}, "rules[1].name", "duplicate"),
        (
            {"rules": [{"name": "a", "destinations": ["nowhere"]}]},
            "rules[0].destinations[0]",
            "unknown destination",
        ),
        (
            {"rules": [{"name": "a", "figures": {"killed": "many"}}]},
            "rules[0].figures.killed",
            "number",
        ),
        (
            {"rules": [{"name": "a", "throttle": {"max": 2, "per": "soon"}}]},
            "rules[0].throttle.per",
            "duration",
        ),
        ({"rules": [{"name": "a", "digest": "yes"}]}, "rules[0].digest", "true or false"),
        ({"rules": "all"}, "rules", "list"),
        ({}, "rules", "required"),
        (
            {
                "destinations": {
                    "s": {"type": "slack_webhook", "url": "https://hooks.slack.com/x"}
                },
                "rules": [],
            },
            "destinations.s.url",
            "never inline",
        ),
        (
            {"destinations": {"s": {"type": "slack_webhook"}}, "rules": []},
            "destinations.s.url_env",
            "required",
        ),
        ({"destinations": {"s": {"type": "pager"}}, "rules": []}, "destinations.s.type", "one of"),
        (
            {"destinations": {"s": {"type": "slack_bot", "token_env": "T"}}, "rules": []},
            "destinations.s.channel",
            "required",
        ),
        (
            {"destinations": {"w": {"type": "webhook", "url_env": "U"}}, "rules": []},
            "destinations.w.secret_env",
            "required",
        ),
        (
            {"destinations": {"w": {"type": "console", "url_env": "not a name"}}, "rules": []},
            "destinations.w.url_env",
            "environment variable name",
        ),
        (
            {"destinations": {"w": {"type": "console", "rate": {"burst": 0}}}, "rules": []},
            "destinations.w.rate.burst",
            ">= 1",
        ),
    ],
)
def test_mistakes_name_the_key(doc: dict, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_rules(doc, "alerts.yaml")
    assert (info.value.file, info.value.key) == ("alerts.yaml", key)
    assert reason in info.value.reason


def test_inline_secret_is_not_echoed_in_the_error() -> None:
    doc = {
        "destinations": {
            "s": {"type": "slack_webhook", "url": "https://hooks.slack.com/T1/B2/sekrit"}
        },
        "rules": [],
    }
    with pytest.raises(ConfigError) as info:
        parse_rules(doc)
    assert "sekrit" not in str(info.value)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "alerts.yaml"
    bad.write_text("rules:\n  - name: a\n   min_severity: 3\n")
    with pytest.raises(ConfigError, match="line 3"):
        load_rules(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")


def _write(path: Path, doc: dict, mtime: float) -> None:
    path.write_text(yaml.safe_dump(doc))
    os.utime(path, (mtime, mtime))


def test_ruleset_reloads_on_mtime_and_keeps_old_rules_on_a_bad_edit(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    _write(path, {"rules": [{"name": "one"}]}, 1_000_000)
    rs = RuleSet(path)
    assert rs.reload_if_changed() is False
    _write(path, {"rules": [{"name": "one"}, {"name": "two"}]}, 1_000_010)
    assert rs.reload_if_changed() is True
    assert [r.name for r in rs.config.rules] == ["one", "two"]
    _write(path, {"rules": [{"name": "x", "min_score": 7}]}, 1_000_020)
    assert rs.reload_if_changed() is False
    assert [r.name for r in rs.config.rules] == ["one", "two"]
    assert rs.last_error is not None and rs.last_error.key == "rules[0].min_score"


def test_without_a_file_the_default_rules_apply() -> None:
    rs = RuleSet(None)
    assert rs.config == default_config()
    assert rs.reload_if_changed() is False
