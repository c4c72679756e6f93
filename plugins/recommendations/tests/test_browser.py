"""The recommendations block on a real product page in Chromium (Playwright),
on the default and the boutique theme, at laptop and phone widths; a click on
a recommendation opens that product. Screenshots go to
``test-artifacts/browser/``. Skipped without Playwright or Chromium unless
``SHOPWRIGHT_REQUIRE_SERVICES=1``."""
from __future__ import annotations

from pathlib import Path

import pytest
from seeded_shop import seed

from engine import sdk
from engine.testing.checkout import chromium, served_shop
from engine.testing.themes import activate_theme
from shopwright_recommendations import plugin

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


async def test_the_product_page_shows_recommendations_in_a_browser(shopwright_settings):
    async with served_shop(shopwright_settings(), plugins=[plugin]) as (app, base_url):
        await app.runtime.host.enable("recommendations")
        await seed(app.runtime, orders=120)
        assert await sdk.enqueue(app.runtime, "recommendations.train")
        await app.runtime.queue.drain()
        async with chromium(ARTIFACTS) as browser:
            from playwright.async_api import expect
            page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            for theme in ("default", "boutique"):
                await activate_theme(theme)
                await app.theme_state.refresh()
                await page.set_viewport_size({"width": 1280, "height": 800})
                await page.goto(f"{base_url}/p/alder-shirt")
                shelf = page.get_by_role("region", name="Customers also bought")
                await expect(shelf).to_be_visible()
                await expect(shelf.get_by_role("link", name="Cedar mug")).to_be_visible()
                await expect(page.get_by_role("region", name="Similar products")).to_be_visible()
                await shelf.scroll_into_view_if_needed()
                await page.screenshot(path=str(ARTIFACTS / f"recommendations-{theme}-laptop.png"))
                await page.set_viewport_size({"width": 390, "height": 844})
                await shelf.scroll_into_view_if_needed()
                await page.screenshot(path=str(ARTIFACTS / f"recommendations-{theme}-phone.png"))
            await shelf.get_by_role("link", name="Cedar mug").click()
            await expect(page.get_by_role("heading", level=1, name="Cedar mug")).to_be_visible()
            assert not problems, problems
