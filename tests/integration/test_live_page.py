"""The live page in a real (headless) Chromium: an alert produced to Kafka shows up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from streams.broker import EmbeddedBroker
from tests.integration.test_gateway import (
    TOKEN,
    gateway_settings,
    make_alert,
    produce_alerts,
    producer_for,
    running_gateway,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(90)]


def _need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: run scripts/install-chromium.sh first")
    pytest.skip(f"{CHROMIUM} not installed (scripts/install-chromium.sh installs it)")


async def _feeds(request: web.Request) -> web.Response:
    return web.json_response(
        [{"feed_url": "https://wire.example.test/rss", "status": "ok", "items": 12}]
    )


@pytest.mark.parametrize("width", [1280, 390])
async def test_alert_produced_to_kafka_appears_on_the_page(
    broker: EmbeddedBroker, topic_prefix: str, width: int
) -> None:
    _need_chromium()
    from playwright.async_api import async_playwright, expect

    settings = gateway_settings(broker, topic_prefix)
    alert = make_alert(42, severity=5, headline="Drone strike hits a depot near the river port")
    routes = [web.get("/v1/feeds", _feeds)] if width == 1280 else []
    async with (
        running_gateway(settings, extra_routes=routes) as server,
        producer_for(settings) as producer,
        async_playwright() as p,
    ):
        assert shutil.which(CHROMIUM)
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": width, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(str(server.make_url(f"/?token={TOKEN}")))
            await expect(page.locator("#status")).to_have_text("live", timeout=15_000)

            await produce_alerts(settings, producer, alert)
            item = page.locator(f'[data-alert-id="{alert.alert_id}"]')
            await expect(item).to_be_visible(timeout=15_000)
            await expect(item).to_contain_text("Drone strike hits a depot")
            await expect(page.locator(f'[data-story-id="{alert.story_id}"]')).to_be_visible()
            await expect(page.locator("#chart svg")).to_be_visible()
            if routes:
                await expect(page.locator("#feeds-table")).to_contain_text("wire.example.test")
            else:
                await expect(page.locator("#feeds-unavailable")).to_be_visible()
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"page scrolls sideways by {overflow}px at {width}px"
            assert errors == []
        finally:
            await browser.close()
