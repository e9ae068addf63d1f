"""Mutes on disk, the CLI helpers and the gateway routes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from streams.deliver.api import mute_routes
from streams.deliver.mute_store import MuteStore, list_mutes_command, mute_command, unmute_command
from streams.errors import ConfigError, InputError
from streams.settings import load_settings
from tests.fakes import make_alert


def test_cli_helpers_round_trip(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path)
    assert mute_command(s, "story", "s-abc", "2h").startswith("muted story 's-abc' for 2h (until ")
    assert mute_command(s, "entity", "Izhevsk", "1d").startswith("muted entity 'Izhevsk' for 1d")
    listing = list_mutes_command(s)
    assert "story   s-abc" in listing and "entity  Izhevsk" in listing
    assert unmute_command(s, "entity", "izhevsk") == "unmuted entity 'izhevsk'"
    assert "Izhevsk" not in list_mutes_command(s)
    with pytest.raises(InputError, match="no mute"):
        unmute_command(s, "entity", "Izhevsk")
    with pytest.raises(InputError, match="--for"):
        mute_command(s, "story", "s-abc", "forever")
    with pytest.raises(InputError, match="story` or `entity"):
        mute_command(s, "outlet", "x", "1h")


def test_store_current_follows_the_file_and_survives_a_broken_one(tmp_path: Path) -> None:
    store = MuteStore(tmp_path / "mutes.json")
    assert len(store.current()) == 0
    other_process = MuteStore(tmp_path / "mutes.json")
    other_process.mute("story", "s-abc", 3600)
    assert store.current().muted_by(make_alert(), time.time()) is not None
    (tmp_path / "mutes.json").write_text("{broken")
    assert len(store.current()) == 1  # the last good set stays in force
    with pytest.raises(ConfigError, match=r"mutes\.json"):
        store.load()


async def test_gateway_routes(tmp_path: Path) -> None:
    app = web.Application()
    app.add_routes(mute_routes(MuteStore(tmp_path / "mutes.json")))
    async with TestClient(TestServer(app)) as client:
        resp = await client.post(
            "/api/mutes", json={"kind": "entity", "value": "Izhevsk", "for": "1d"}
        )
        assert resp.status == 201
        assert (await resp.json())["mute"]["seconds_left"] == 86400
        listed = await (await client.get("/api/mutes")).json()
        assert [m["value"] for m in listed["mutes"]] == ["Izhevsk"]
        for bad in (
            {"kind": "planet", "value": "x"},
            {"kind": "story"},
            {"kind": "story", "value": "s", "for": "x"},
        ):
            resp = await client.post("/api/mutes", json=bad)
            assert resp.status == 400 and "error" in await resp.json()
        assert (await client.post("/api/mutes", data=b"nope")).status == 400
        assert (await client.delete("/api/mutes/entity/Izhevsk")).status == 200
        assert (await client.delete("/api/mutes/entity/Izhevsk")).status == 404
