"""Shopper journeys in headless Chromium: home → category → filter → product →
variant, on the default theme and on its child theme, with JavaScript off (the
storefront needs none), and a staff preview a shopper never sees."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    return errors


def journey(page, server, screenshot, prefix: str, javascript: bool = False) -> None:
    from playwright.sync_api import expect

    csp = _csp_errors(page)
    page.goto(server.base_url + "/")
    expect(page.get_by_role("heading", level=2).first).to_be_visible()
    screenshot(page, f"{prefix}-1-home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clothing").click()
    expect(page).to_have_url(re.compile(r"/c/clothing$"))
    expect(page.get_by_role("heading", level=1, name="Clothing")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Oxford shirt"))).to_be_visible()
    screenshot(page, f"{prefix}-2-category")

    filters = page.get_by_role("form", name="Filter and sort")
    filters.get_by_label(re.compile(r"^linen")).check()
    filters.get_by_label("Sort by").select_option("price_desc")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"material=linen"))
    expect(page.get_by_role("link", name=re.compile("Linen shirt"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Oxford shirt"))).to_have_count(0)
    screenshot(page, f"{prefix}-3-filtered")

    page.get_by_role("link", name=re.compile("Linen shirt")).click()
    expect(page.get_by_role("heading", level=1, name="Linen shirt")).to_be_visible()
    expect(page.get_by_text("SKU: LINEN-SHIRT-S-B")).to_be_visible()
    screenshot(page, f"{prefix}-4-product")

    # pick L / Red and add straight away: the chosen variant goes into the cart
    # (with JavaScript the price, stock and SKU follow the choice at once)
    picker = page.locator(".variant-picker")
    picker.get_by_role("group", name="Size").get_by_text("L", exact=True).click()
    picker.get_by_role("group", name="Colour").get_by_text("Red", exact=True).click()
    if javascript:
        expect(page.get_by_text("SKU: LINEN-SHIRT-L-R")).to_be_visible()
        expect(page.locator(".purchase__price")).to_have_text("€61.00")
        expect(page).to_have_url(re.compile(r"size=L"))
        expect(picker.get_by_role("button", name="Show this selection")).to_be_hidden()
    else:
        expect(page.get_by_text("SKU: LINEN-SHIRT-S-B")).to_be_visible()  # the page has not changed
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()
    screenshot(page, f"{prefix}-5-variant")

    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(r"Linen shirt"))
    expect(row).to_contain_text("Size: L")
    expect(row).to_contain_text("Colour: Red")
    expect(row).to_contain_text("€61.00 each")
    expect(row).to_contain_text("€122.00")
    screenshot(page, f"{prefix}-6-cart")

    if not javascript:
        # "Show this selection" shows the chosen variant's price before adding
        page.goto(server.base_url + "/p/linen-shirt")
        picker.get_by_role("group", name="Size").get_by_text("M", exact=True).click()
        picker.get_by_role("button", name="Show this selection").click()
        expect(page).to_have_url(re.compile(r"size=M"))
        expect(page.get_by_text(re.compile(r"SKU: LINEN-SHIRT-M-"))).to_be_visible()
    assert csp == [], csp


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_default_theme_journey(server, browser, screenshot, javascript):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    journey(page, server, screenshot, f"default-{'js' if javascript else 'nojs'}", javascript)
    assert page.locator("body").get_attribute("data-theme") == "default"
    context.close()


def test_default_theme_on_a_phone(server, browser, screenshot):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(server.base_url + "/p/oxford-shirt")
    expect(page.get_by_role("heading", level=1, name="Oxford shirt")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"
    screenshot(page, "default-phone-product")
    picker = page.locator(".variant-picker")
    picker.get_by_role("group", name="Size").get_by_text("L", exact=True).click()
    picker.get_by_role("group", name="Colour").get_by_text("Blue", exact=True).click()
    expect(page.get_by_text("SKU: OXFORD-SHIRT-L-B")).to_be_visible()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Oxford shirt"))).to_contain_text("Size: L")
    for path in ("/cart", "/checkout", "/", "/c/clothing", "/search?q=shirt"):
        page.goto(server.base_url + path)
        width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], f"{path} is {width[0]}px wide on a {width[1]}px screen"
    page.goto(server.base_url + "/cart")
    screenshot(page, "default-phone-cart")
    context.close()


def test_child_theme_journey(server, browser, screenshot):
    from playwright.sync_api import expect

    server.activate("boutique")
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        journey(page, server, screenshot, "boutique", True)
        assert page.locator("body").get_attribute("data-theme") == "boutique"
        page.goto(server.base_url + "/p/linen-shirt")
        expect(page.get_by_role("complementary", name="Care and returns")).to_be_visible()
        # no announcement bar until the merchant writes one: shipping terms come from the shipping
        # configuration (partials/shipping_promise.html, tests/fulfillment/test_shipping_promise.py)
        expect(page.get_by_role("complementary", name="Announcement")).to_have_count(0)
        context.close()
    finally:
        server.activate("default")


def test_staff_preview_is_not_seen_by_shoppers(server, browser, screenshot):
    from playwright.sync_api import expect

    token = server.cli("tokens", "create", "--name", "preview", "--scopes", "plugins:write").strip().splitlines()[-1]
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    answer = staff.request.post(server.base_url + "/admin/theme-preview/boutique",
                                headers={"Authorization": f"Bearer {token}"},
                                data={"colours": {"primary": "#0b6e4f"}}, max_redirects=0)
    assert answer.status == 303
    staff_page = staff.new_page()
    staff_page.goto(server.base_url + "/?preview_theme=boutique")
    expect(staff_page.get_by_role("complementary", name="Theme preview")).to_contain_text("boutique")
    assert staff_page.locator("body").get_attribute("data-theme") == "boutique"
    primary = staff_page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--color-primary')")
    assert primary.strip() == "#0b6e4f"
    screenshot(staff_page, "preview-staff")

    shopper = browser.new_context(viewport={"width": 1280, "height": 900})
    shopper_page = shopper.new_page()
    shopper_page.goto(server.base_url + "/?preview_theme=boutique")
    assert shopper_page.locator("body").get_attribute("data-theme") == "default"
    expect(shopper_page.get_by_role("complementary", name="Theme preview")).to_have_count(0)
    screenshot(shopper_page, "preview-shopper")

    staff_page.get_by_role("link", name="Exit preview").click()
    assert staff_page.locator("body").get_attribute("data-theme") == "default"
    staff.close()
    shopper.close()
