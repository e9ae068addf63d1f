"""Routes mounted on the gateway from other areas: feed health and mutes, behind auth;
and the mute commands of the CLI sharing the same store."""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import orjson
import pytest

from streams.broker import EmbeddedBroker
from streams.gateway.mounts import extra_routes
from tests.integration.test_cli_errors import newsstream
from tests.integration.test_gateway import AUTH, gateway_settings, running_gateway

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_feeds_and_mutes_need_a_token_and_work(
    broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path
) -> None:
    settings = gateway_settings(broker, topic_prefix, data_dir=tmp_path)
    snapshot = {"generated_at": "2026-01-01T00:00:00Z", "feeds": [{"outlet": "Example"}]}
    (tmp_path / "feeds-status.json").write_bytes(orjson.dumps(snapshot))
    async with (
        running_gateway(settings, extra_routes=extra_routes(settings)) as server,
        aiohttp.ClientSession() as http,
    ):
        for path in ("/v1/feeds", "/v1/mutes"):
            async with http.get(server.make_url(path)) as r:
                assert r.status == 401, path
        async with http.get(server.make_url("/v1/feeds"), headers=AUTH) as r:
            assert r.status == 200 and (await r.json())["feeds"][0]["outlet"] == "Example"
        body = {"kind": "entity", "value": "Izhevsk", "for": "2h", "reason": "test"}
        async with http.post(server.make_url("/v1/mutes"), json=body, headers=AUTH) as r:
            assert r.status in (200, 201), await r.text()
        async with http.get(server.make_url("/v1/mutes"), headers=AUTH) as r:
            mutes = (await r.json())["mutes"]
        assert [(m["kind"], m["value"]) for m in mutes] == [("entity", "Izhevsk")]
    # the CLI reads and writes the same store
    env = {"NEWSSTREAM_DATA_DIR": str(tmp_path)}
    listed = newsstream("mute", "list", env=env)
    assert listed.returncode == 0 and "Izhevsk" in listed.stdout.decode()
    added = newsstream("mute", "story", "s-123", "--for", "30m", env=env)
    assert added.returncode == 0, added.stderr.decode()
    removed = newsstream("mute", "remove", "entity", "Izhevsk", env=env)
    assert removed.returncode == 0
    listed = newsstream("mute", "list", env=env).stdout.decode()
    assert "s-123" in listed and "Izhevsk" not in listed
    bad = newsstream("mute", "story", "s-1", "--for", "forever", env=env)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr.decode()
    assert os.path.exists(tmp_path / "mutes.json")


def test_feeds_import_and_export_round_trip(tmp_path: Path) -> None:
    opml = Path(__file__).resolve().parent.parent / "fixtures" / "feeds" / "subscriptions.opml"
    target = tmp_path / "feeds.yaml"
    first = newsstream("feeds", "import", str(opml), "--into", str(target))
    assert first.returncode == 0, first.stderr.decode()
    again = newsstream("feeds", "import", str(opml), "--into", str(target))
    assert "0 feeds added" in again.stdout.decode()
    exported = newsstream("feeds", "export", "--from", str(target))
    assert exported.returncode == 0 and b"<opml" in exported.stdout
    out = exported.stdout.decode()
    assert 'xmlUrl="https://news.harbourwire.test/world/rss.xml"' in out
    assert out.count('xmlUrl="https://veilleur.test/atom.xml"') == 1, "duplicates merged"
    assert "gopher://" not in out, "only http(s) feeds are imported"
