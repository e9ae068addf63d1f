"""One alert per story: new, then updates only when something a reader cares about changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from streams.alerts.decider import AlertDecider, StoryAlertState, is_key_change
from streams.alerts.rules import parse_rules
from streams.events import Alert, dumps, loads
from tests.fakes import make_event

T0 = datetime(2024, 5, 18, 6, 0, tzinfo=UTC)
CONFIG = parse_rules(
    {
        "rules": [
            {
                "name": "deadly",
                "categories": ["strike"],
                "figures": {"killed": 1},
                "destinations": ["slack"],
            },
            {"name": "wide", "min_sources": 3, "destinations": ["console"]},
        ]
    }
)


def test_first_qualifying_event_raises_a_new_alert() -> None:
    alert, state = AlertDecider(CONFIG).decide(make_event(), None, T0)
    assert alert is not None
    assert (alert.alert_id, alert.action, alert.revision, alert.rule) == (
        "s-abc:0",
        "new",
        0,
        "deadly",
    )
    assert alert.destinations == ["slack"]
    assert [(f.kind, f.value) for f in alert.figures] == [("killed", 2.0)]
    assert alert.created_at == "2024-05-18T06:00:00.000Z"
    assert state.revision == 0 and state.alerted
    # It travels on the topic and comes back the same.
    assert loads(Alert, dumps(alert)) == alert


def test_destinations_are_the_union_of_matching_rules() -> None:
    event = make_event(outlets=("a.example", "b.example", "c.example"))
    alert, _ = AlertDecider(CONFIG).decide(event, None, T0)
    assert alert is not None and alert.destinations == ["slack", "console"]


def test_non_qualifying_event_raises_nothing_but_the_state_remembers() -> None:
    decider = AlertDecider(CONFIG)
    alert, state = decider.decide(make_event(figures=()), None, T0)
    assert alert is None and state.revision == -1
    # The figure arrives with a later article of the story: now it qualifies.
    alert, state = decider.decide(
        make_event(figures=(("killed", 3),)), state, T0 + timedelta(minutes=5)
    )
    assert alert is not None and alert.action == "new" and alert.revision == 0


@pytest.mark.parametrize(
    ("second", "changes"),
    [
        (make_event(), None),  # the same article again
        (make_event(figures=(("killed", 1),)), None),  # an older, lower count is not news
        (make_event(severity=3), None),  # severity never goes down
        (make_event(outlets=("wire.example",), title="Depot fire still burning"), None),
        (make_event(figures=(("killed", 5),)), {"figures": {"killed": [2.0, 5.0]}}),
        (
            make_event(figures=(("killed", 2), ("injured", 7))),
            {"figures": {"injured": [None, 7.0]}},
        ),
        (make_event(severity=5), {"severity": [4, 5]}),
        (
            make_event(outlets=("wire.example", "daily.example")),
            {
                "sources_added": [
                    {"outlet": "daily.example", "url": "https://daily.example/world/story-2"}
                ]
            },
        ),
    ],
)
def test_updates_only_on_real_changes(second: object, changes: dict | None) -> None:
    decider = AlertDecider(CONFIG)
    first, state = decider.decide(make_event(), None, T0)
    assert first is not None
    alert, new_state = decider.decide(second, state, T0 + timedelta(minutes=1))  # type: ignore[arg-type]
    if changes is None:
        assert alert is None
        assert new_state.revision == 0
    else:
        assert alert is not None
        assert (alert.action, alert.revision, alert.alert_id) == ("update", 1, "s-abc:1")
        assert alert.changes == changes
        assert new_state.revision == 1


def test_syndicated_copy_is_not_a_new_source() -> None:
    decider = AlertDecider(CONFIG)
    _, state = decider.decide(make_event(), None, T0)
    event = make_event()
    event.sources.append(
        event.sources[0].__class__("copy.example", "https://copy.example/x", "a-c", True)
    )
    alert, _ = decider.decide(event, state, T0)
    assert alert is None


def test_revisions_count_up_and_state_survives_serialisation() -> None:
    decider = AlertDecider(CONFIG)
    state = None
    ids = []
    for i, killed in enumerate((2, 4, 4, 9)):
        alert, state = decider.decide(
            make_event(figures=(("killed", killed),)), state, T0 + timedelta(i)
        )
        # the worker stores the state as JSON in a faust table
        state = StoryAlertState.from_dict(orjson.loads(orjson.dumps(state.to_dict())))
        if alert is not None:
            ids.append(alert.alert_id)
    assert ids == ["s-abc:0", "s-abc:1", "s-abc:2"]
    assert state is not None and state.figures["killed"][0] == 9


def test_update_keeps_the_original_rule_and_destinations_after_rules_change() -> None:
    _, state = AlertDecider(CONFIG).decide(make_event(), None, T0)
    other = AlertDecider(parse_rules({"rules": [{"name": "x", "destinations": ["console"]}]}))
    alert, _ = other.decide(make_event(severity=5), state, T0)
    assert alert is not None and (alert.rule, alert.destinations) == ("deadly", ["slack"])


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"severity": [3, 4]}, True),
        ({"figures": {"killed": [1, 3]}}, True),
        ({"sources_added": [{"outlet": "x", "url": "u"}]}, False),
        ({}, False),
    ],
)
def test_is_key_change(changes: dict, key: bool) -> None:
    assert is_key_change(changes) is key
