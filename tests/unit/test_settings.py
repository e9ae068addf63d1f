from __future__ import annotations

import pytest
from pydantic import ValidationError

from streams.errors import ConfigError
from streams.settings import load_settings


def test_env_is_read_and_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSSTREAM_PARTITIONS", "6")
    monkeypatch.setenv("NEWSSTREAM_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    s = load_settings()
    assert s.partitions == 6 and s.kafka_bootstrap == "k1:9092,k2:9092" and not s.embedded
    with pytest.raises(ValidationError):  # frozen
        s.partitions = 3  # type: ignore[misc]


def test_overrides_win_and_none_means_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSSTREAM_WORKERS", "2")
    assert load_settings(workers=None).workers == 2
    assert load_settings(workers=3).workers == 3


@pytest.mark.parametrize(
    ("var", "value", "key"),
    [
        ("NEWSSTREAM_PARTITIONS", "0", "NEWSSTREAM_PARTITIONS"),
        ("NEWSSTREAM_KAFKA_BOOTSTRAP", "nohost", "NEWSSTREAM_KAFKA_BOOTSTRAP"),
        ("NEWSSTREAM_LOG_FORMAT", "xml", "NEWSSTREAM_LOG_FORMAT"),
        ("NEWSSTREAM_TOPIC_PREFIX", "bad prefix!", "NEWSSTREAM_TOPIC_PREFIX"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, key: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == key and info.value.file == "environment"


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
    monkeypatch.setenv("NEWSSTREAM_SLACK_WEBHOOK_URL", url)
    s = load_settings()
    assert "SECRETSECRET" not in repr(s) and "SECRETSECRET" not in str(s.model_dump())


@pytest.mark.parametrize(
    ("var", "value", "words"),
    [
        ("NEWSSTREAM_GATEWAY_TOKENS", "[not json", "not valid JSON"),
        ("NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS", '["ok", [2]]', "item 1"),
    ],
)
def test_list_variables_fail_cleanly(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, words: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == var and words in info.value.reason
