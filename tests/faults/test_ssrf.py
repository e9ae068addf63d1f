"""SSRF: feed and destination URLs may not reach private addresses unless allowed.

Real local HTTP servers on 127.0.0.1 play both the attacker's redirector and the
"internal service" that must never see a request. Names are answered by a fake DNS
(the resolver under the guard is replaced), so a public-looking name can resolve to
a private address, or change its answer between two polls (DNS rebinding).
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from streams.alerts.rules import load_rules
from streams.deliver.destinations import make_sender, resolve_destinations
from streams.deliver.ledger import Ledger
from streams.errors import ConfigError, PermanentError
from streams.events import Alert
from streams.ingest.config import FeedConfig, FeedsConfig, PollerOptions
from streams.ingest.fetch import Fetcher
from streams.ingest.poller import Poller
from streams.ingest.state import MemoryStateStore
from streams.net import AddressPolicy, BlockedAddress, blocked_from, guarded_connector
from streams.settings import load_settings
from tests.fakes import make_alert
from tests.fakes.fake_slack import FakeSlack, Reply
from tests.integration.feedserver import FeedServer, rss, start_feed_server

ITEMS = [("s1", "Bridge reopens", "Traffic is back.")]
ALLOW_ENV = "NEWSSTREAM_ALLOW_PRIVATE_DESTINATIONS"


class FakeDNS(AbstractResolver):
    """Answers from ``ANSWERS`` (name -> list of addresses, one list per lookup)."""

    ANSWERS: dict[str, list[list[str]]] = {}
    LOOKUPS: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        FakeDNS.LOOKUPS.append(host)
        answers = FakeDNS.ANSWERS.get(host)
        if not answers:
            raise OSError(f"no such name {host}")
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            {
                "hostname": host,
                "host": a,
                "port": port,
                "proto": 0,
                "flags": 0,
                "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
            }
            for a in addresses
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeDNS]]:
    monkeypatch.setattr("streams.net.DefaultResolver", FakeDNS)
    FakeDNS.ANSWERS, FakeDNS.LOOKUPS = {}, []
    yield FakeDNS


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    fs = await start_feed_server()
    fs.static("/feed.xml", rss(ITEMS))
    fs.static("/internal/secret", b"internal-only")
    yield fs
    await fs.server.close()


def fetcher(allow: list[str]) -> Fetcher:
    return Fetcher(PollerOptions(allow_private=allow, per_host_rate=1000), "ua")


def port_of(server: FeedServer) -> int:
    return int(server.server.port or 0)


# ---- feeds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::1]", "loopback"),
        ("localhost", "loopback"),
        ("2130706433", "non-canonical"),
        ("0177.0.0.1", "non-canonical"),
        ("0x7f.0.0.1", "non-canonical"),
        ("127.1", "non-canonical"),
        ("169.254.169.254", "cloud metadata"),
        ("[fd00:ec2::254]", "cloud metadata"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("[fc00::1]", "private"),
        ("169.254.10.10", "link-local"),
        ("[fe80::1]", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
    ],
)
async def test_feed_urls_to_private_addresses_are_refused(
    server: FeedServer, host: str, why: str
) -> None:
    f = fetcher([])
    try:
        with pytest.raises(BlockedAddress, match=why):
            await f.fetch(f"http://{host}:{port_of(server)}/internal/secret")
    finally:
        await f.close()
    assert not server.requests  # refused before any packet reached our "internal" server


async def test_poller_records_the_refusal_and_serves_the_allowed_feed(server: FeedServer) -> None:
    blocked = FeedConfig(url=f"http://2130706433:{port_of(server)}/internal/secret")
    good = FeedConfig(url=server.url("/feed.xml"))
    published: list[Any] = []

    async def publish(articles: Any) -> None:
        published.extend(articles)

    options = PollerOptions(allow_private=["127.0.0.1"], per_host_rate=1000)
    poller = Poller(
        FeedsConfig(poller=options, feeds=[blocked, good]),
        publish,
        MemoryStateStore(),
        user_agent="ua",
    )
    try:
        await poller.start()
        assert (await poller.poll_once(blocked)).status == "error"
        assert (await poller.poll_once(good)).new == 1
    finally:
        await poller.stop()
    error = poller.states[blocked.url].last_error or ""
    assert error.startswith("BlockedAddress: refused:") and "127.0.0.1" in error
    assert [a.title for a in published] == ["Bridge reopens"]
    assert not server.hits("/internal/secret")


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[::1]:{port}/internal/secret",
        "http://[::ffff:7f00:1]:{port}/internal/secret",  # the allowed 127.0.0.1 mapped: ok?
        "http://0177.0.0.1:{port}/internal/secret",
        "http://10.1.2.3/internal",
        "http://metadata.test/latest/meta-data/",
        "file:///etc/passwd",
    ],
)
async def test_each_redirect_hop_is_checked(
    server: FeedServer, dns: type[FakeDNS], target: str
) -> None:
    dns.ANSWERS["metadata.test"] = [["169.254.169.254"]]
    location = target.format(port=port_of(server))

    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": location})

    server.handlers["/bounce"] = redirect
    f = fetcher(["127.0.0.1"])
    try:
        if "::ffff:7f00:1" in location:
            # the same loopback address written as IPv6: allowed like 127.0.0.1 itself
            assert (await f.fetch(server.url("/bounce"))).body == b"internal-only"
            return
        with pytest.raises(PermanentError) as info:
            await f.fetch(server.url("/bounce"))
    finally:
        await f.close()
    assert "refused" in str(info.value) or "not an http(s) URL" in str(info.value)
    assert len(server.hits("/bounce")) == 1 and not server.hits("/internal/secret")


async def test_names_are_checked_on_what_they_resolve_to(
    server: FeedServer, dns: type[FakeDNS]
) -> None:
    port = port_of(server)
    dns.ANSWERS.update(
        {
            "feeds.example": [["127.0.0.1"]],
            "metadata.example": [["169.254.169.254"]],
            "mapped.example": [["::ffff:169.254.169.254"]],
            "mixed.example": [["10.0.0.1", "127.0.0.1"]],  # only the allowed answer is dialled
        }
    )
    f = fetcher(["127.0.0.1"])
    try:
        assert (await f.fetch(f"http://feeds.example:{port}/feed.xml")).status == 200
        assert (await f.fetch(f"http://mixed.example:{port}/feed.xml")).status == 200
        for name, why in (("metadata.example", "cloud metadata"), ("mapped.example", "mapped")):
            with pytest.raises(BlockedAddress, match="refused") as info:
                await f.fetch(f"http://{name}:{port}/internal/secret")
            assert why.split()[0] in str(info.value) or "inside IPv6" in str(info.value)
    finally:
        await f.close()
    assert not server.hits("/internal/secret")


async def test_dns_rebinding_between_polls_is_refused(
    server: FeedServer, dns: type[FakeDNS]
) -> None:
    port = port_of(server)
    # first lookup: the allowed server; the next: a private address (TTL 0 rebinding)
    dns.ANSWERS["rebind.example"] = [["127.0.0.1"], ["10.9.9.9"]]
    f = fetcher(["127.0.0.1"])
    try:
        first = await f.fetch(f"http://rebind.example:{port}/feed.xml")
        assert first.status == 200
        # a new connection after the TTL ran out (a kept-alive one still goes where the
        # first, approved answer pointed)
        await f.close()
        with pytest.raises(BlockedAddress, match=re.escape("10.9.9.9")):
            await f.fetch(f"http://rebind.example:{port}/internal/secret")
    finally:
        await f.close()
    assert dns.LOOKUPS.count("rebind.example") == 2
    assert not server.hits("/internal/secret")


async def test_ip_literals_are_refused_at_connect_time_too(server: FeedServer) -> None:
    """aiohttp does not resolve IP literals: the socket factory is the check that sees
    them even when no URL check ran (a library following a redirect by itself)."""
    async with aiohttp.ClientSession(connector=guarded_connector(AddressPolicy([]))) as s:
        with pytest.raises(aiohttp.ClientConnectorError) as info:
            await s.get(server.url("/internal/secret"))
    blocked = blocked_from(info.value)
    assert blocked is not None and "loopback" in str(blocked)
    assert not server.requests


# ---- destinations -------------------------------------------------------------------


def alert() -> Alert:
    return make_alert()


def alerts_file(tmp_path: Path, dest: dict[str, Any]) -> Path:
    path = tmp_path / "alerts.yaml"
    doc = {"destinations": {"ops": dest}, "rules": [{"name": "all", "destinations": ["ops"]}]}
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def test_destination_on_loopback_needs_an_allow_entry(
    slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    monkeypatch.setenv("OPS_HOOK", slack.webhook_url("ops") + "/s3cr3t")
    rules = alerts_file(tmp_path, {"type": "slack_webhook", "url_env": "OPS_HOOK"})
    with pytest.raises(ConfigError) as info:
        resolve_destinations(load_rules(rules), load_settings(data_dir=tmp_path))
    assert info.value.key == "destinations.ops.url" and "loopback" in str(info.value)
    assert "s3cr3t" not in str(info.value)

    # allowed for this destination in the alerts file ...
    rules = alerts_file(
        tmp_path, {"type": "slack_webhook", "url_env": "OPS_HOOK", "allow_private": ["127.0.0.1"]}
    )
    dest = resolve_destinations(load_rules(rules), load_settings(data_dir=tmp_path))["ops"]
    sender = make_sender(dest, None, Ledger(tmp_path / "ledger.sqlite"))
    try:
        await sender.send(alert())
    finally:
        await sender.close()
    assert len(slack.requests) == 1

    # ... or for every destination in the environment
    monkeypatch.setenv(ALLOW_ENV, '["127.0.0.0/8"]')
    rules = alerts_file(tmp_path, {"type": "slack_webhook", "url_env": "OPS_HOOK"})
    assert resolve_destinations(load_rules(rules), load_settings(data_dir=tmp_path))["ops"]


@pytest.mark.parametrize(
    ("env", "url", "key"),
    [
        (
            "NEWSSTREAM_SLACK_WEBHOOK_URL",
            "http://169.254.169.254/hook",
            "NEWSSTREAM_SLACK_WEBHOOK_URL",
        ),
        ("NEWSSTREAM_WEBHOOK_URL", "http://[::ffff:10.0.0.1]/hook", "NEWSSTREAM_WEBHOOK_URL"),
        ("NEWSSTREAM_WEBHOOK_URL", "http://2130706433/hook", "NEWSSTREAM_WEBHOOK_URL"),
    ],
)
def test_builtin_destinations_are_checked_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, url: str, key: str
) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    monkeypatch.setenv(env, url)
    monkeypatch.setenv("NEWSSTREAM_WEBHOOK_SECRET", "k")
    from streams.alerts.rules import AlertConfig, Rule

    config = AlertConfig(
        rules=(Rule(name="r", destinations=("slack", "webhook")),), destinations={}
    )
    with pytest.raises(ConfigError) as info:
        resolve_destinations(config, load_settings(data_dir=tmp_path))
    assert info.value.key == key and "refused" in str(info.value)


@pytest.mark.parametrize("value", ['["10.0.0.0/33"]', "[1, 2]", '["a b"]', "[not json"])
def test_bad_allow_setting_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(ALLOW_ENV, value)
    from streams.alerts.rules import default_config

    with pytest.raises(ConfigError) as info:
        resolve_destinations(default_config(), load_settings(data_dir=tmp_path))
    assert info.value.key == ALLOW_ENV


async def test_webhook_name_resolving_private_fails_the_send_not_the_notifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dns: type[FakeDNS], slack: FakeSlack
) -> None:
    dns.ANSWERS["hooks.example"] = [["127.0.0.1"]]
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    monkeypatch.setenv("HOOK", f"http://hooks.example:{slack.port}/hook/token-XYZ")
    monkeypatch.setenv("HOOK_KEY", "k")
    rules = alerts_file(tmp_path, {"type": "webhook", "url_env": "HOOK", "secret_env": "HOOK_KEY"})
    dest = resolve_destinations(load_rules(rules), load_settings(data_dir=tmp_path))["ops"]
    sender = make_sender(dest, None, Ledger(tmp_path / "ledger.sqlite"))
    try:
        with pytest.raises(BlockedAddress) as info:
            await sender.send(alert())
    finally:
        await sender.close()
    assert not info.value.retriable  # dead-lettered at once, never retried
    assert "token-XYZ" not in str(info.value) and "127.0.0.1" in str(info.value)
    assert not slack.requests


async def test_destination_redirects_are_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack: FakeSlack
) -> None:
    monkeypatch.setenv(ALLOW_ENV, '["127.0.0.1"]')
    monkeypatch.setenv("OPS_HOOK", slack.webhook_url("ops"))
    slack.script(
        "/services/T000/B000/ops",
        Reply(status=307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
    )
    rules = alerts_file(tmp_path, {"type": "slack_webhook", "url_env": "OPS_HOOK"})
    dest = resolve_destinations(load_rules(rules), load_settings(data_dir=tmp_path))["ops"]
    sender = make_sender(dest, None, Ledger(tmp_path / "ledger.sqlite"))
    try:
        with pytest.raises(PermanentError, match="redirects are not followed"):
            await sender.send(alert())
    finally:
        await sender.close()
    assert len(slack.requests) == 1
