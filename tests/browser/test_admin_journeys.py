"""Merchant journeys in the admin, in headless Chromium against a real server:
enable and configure Stripe from its settings form (a field error first; the
secret never in a page afterwards, nor in the audit log), preview the
boutique theme with another colour and activate it, install a plugin while
the store runs and enable it there, retry its failed job from the jobs page;
staff without ``plugins:write`` are refused. Pages are photographed at 1280
and 390 pixels wide (test-artifacts/browser/admin-*.png).

Every wait polls its condition (a page reloaded until it shows it), bounded
generously for a busy machine.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.venv_writer]

OWNER = "owner@shop.example"
SUPPORT = "support@shop.example"
PASSWORD = "an admin passphrase for the browser"
SECRET = "sk_test_browser_secret_0123456789"
LIVE = Path(__file__).resolve().parents[1] / "support" / "admin_live"
DISTRIBUTION = "shopwright-admin-live"
BOUND = 60.0
WIDTHS = {"wide": 1280, "phone": 390}


@pytest.fixture(scope="module")
def shop(own_server):
    own_server.cli("staff", "create", "--email", OWNER, "--password-stdin", "--role", "owner", stdin=PASSWORD + "\n")
    own_server.cli("staff", "create", "--email", SUPPORT, "--password-stdin", "--role", "support",
                   stdin=PASSWORD + "\n")
    return own_server


def pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def install_live(tmp_path):
    """Installs tests/support/admin_live (from a copy) when called; uninstalled
    at the end (and before, should an interrupted run have left it)."""
    pip("uninstall", "--yes", "--quiet", DISTRIBUTION)

    def run() -> None:
        copy = tmp_path / "admin_live"
        shutil.copytree(LIVE, copy)
        pip("install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", str(copy))

    try:
        yield run
    finally:
        pip("uninstall", "--yes", "--quiet", DISTRIBUTION)


def sign_in(browser, shop, email: str = OWNER, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(shop.base_url + "/admin/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(shop.base_url + "/admin")
    return page


def reload_until(page, selector: str, what: str) -> None:
    """Reload ``page`` until ``selector`` matches something."""
    deadline = time.monotonic() + BOUND
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{what}: not within {BOUND} s"
        page.wait_for_timeout(100)
        page.reload()


def photograph(page, screenshot, name: str) -> None:
    """Screenshots of the page at both widths."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"admin-{name}-{label}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_staff_enables_and_configures_stripe(browser, shop, screenshot):
    from playwright.sync_api import expect

    page = sign_in(browser, shop)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Plugins").click()
    expect(page.locator('tr[data-plugin="payments_stripe"]')).to_contain_text("disabled")
    photograph(page, screenshot, "plugins")
    page.get_by_role("link", name="Stripe").click()
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#plugin-state")).to_have_text("active")
    expect(page.locator(".missing")).to_contain_text("secret_key")

    page.get_by_label("Publishable key").fill("sk_live_wrong_place")
    page.get_by_label("Secret key").fill(SECRET)
    page.get_by_label("Capture").select_option("manual")
    page.get_by_role("button", name="Save settings").click()
    error = page.locator('[data-field="publishable_key"] .field-error')
    expect(error).to_contain_text("publishable_key must start with pk_")
    assert SECRET not in page.content()
    photograph(page, screenshot, "plugin-field-error")

    page.get_by_label("Publishable key").fill("pk_test_browser")
    page.get_by_label("Secret key").fill(SECRET)
    page.get_by_label("Webhook secret").fill("whsec_browser")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.locator(".missing")).to_have_count(0)
    expect(page.get_by_label("Capture")).to_have_value("manual")
    assert SECRET not in page.content()
    assert SECRET not in page.request.get(page.url).text(), "not in the page source"
    photograph(page, screenshot, "plugin")

    page.goto(shop.base_url + "/admin/audit")
    expect(page.get_by_role("cell", name="plugin.configure")).to_have_count(1)
    assert SECRET not in page.request.get(page.url).text()
    shown = shop.cli("plugins", "show", "payments_stripe")
    assert SECRET not in shown and '"capture": "manual"' in shown
    page.context.close()


def test_staff_previews_and_activates_boutique(browser, shop, screenshot):
    from playwright.sync_api import expect

    page = sign_in(browser, shop)
    shopper = browser.new_context().new_page()
    shopper.goto(shop.base_url + "/")
    expect(shopper.locator("body")).to_have_attribute("data-theme", "default")

    page.goto(shop.base_url + "/admin/themes")
    expect(page.locator('tr[data-theme="boutique"]')).to_contain_text("default")
    photograph(page, screenshot, "themes")
    page.locator('tr[data-theme="boutique"]').get_by_role("link", name="Customize").click()
    frame = page.frame_locator("iframe.preview")
    expect(frame.locator("body")).to_have_attribute("data-theme", "boutique")
    expect(page.locator("#check")).to_contain_text("No problems found")

    page.locator("#f-colours-primary").fill("#c0ffee")
    png = page.screenshot(clip={"x": 0, "y": 0, "width": 160, "height": 44})  # a PNG to upload as the logo
    page.locator("#f-logo-image-upload").set_input_files(files=[{"name": "logo.png", "mimeType": "image/png",
                                                                 "buffer": png}])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#f-logo-image")).to_have_value(re.compile(r"^/media/theme/[0-9a-f]{64}\.png$"))
    expect(frame.locator("body")).to_have_attribute("data-theme", "boutique")
    assert "--color-primary: #c0ffee" in page.frame_locator("iframe.preview").locator("html").inner_html()
    photograph(page, screenshot, "theme-customizer")
    shopper.reload()
    expect(shopper.locator("body")).to_have_attribute("data-theme", "default")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Settings published.")
    page.get_by_role("button", name="Activate this theme").click()
    expect(page.get_by_role("status")).to_have_text("Theme activated.")
    reload_until(shopper, 'body[data-theme="boutique"]', "the store shows boutique")
    assert "--color-primary: #c0ffee" in shopper.content()
    logo = shopper.locator('img[src^="/media/theme/"]').first
    expect(logo).to_be_visible()
    assert shopper.evaluate("img => img.naturalWidth", logo.element_handle()) > 0, "the uploaded logo loads"
    screenshot(shopper, "admin-store-after-activation")
    page.context.close()
    shopper.context.close()


def test_plugin_installed_while_running_and_failed_job_retried(browser, shop, screenshot, install_live, tmp_path):
    from playwright.sync_api import expect

    marker = tmp_path / "fail-now"
    marker.write_text("the job fails while this file exists")
    page = sign_in(browser, shop)
    page.goto(shop.base_url + "/admin/plugins")
    expect(page.locator('[data-catalog="admin_live"]')).to_have_count(0)
    install_live()
    page.reload()
    catalog = page.locator('[data-catalog="admin_live"]')
    expect(catalog).to_contain_text("Installed, not enabled")
    catalog.get_by_role("link", name="enable and configure it").click()
    expect(page.locator("h1")).to_have_text("Admin live (tests)")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#plugin-state")).to_have_text("active")
    page.get_by_label("Fail marker").fill(str(marker))
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")

    page.get_by_role("link", name="Admin live").first.click()
    page.get_by_role("button", name="Run the job").click()
    expect(page.get_by_text("Queued.")).to_be_visible()

    page.goto(shop.base_url + "/admin/jobs")
    failed = 'tr[data-job-id="admin_live:run"][data-state="failed"]'
    reload_until(page, failed, "the job failed")
    expect(page.locator(failed)).to_contain_text("marker file present")
    expect(page.locator('[data-dead-letters="admin_live"]')).to_contain_text("1 failed job")
    photograph(page, screenshot, "jobs")

    marker.unlink()
    page.locator(failed).get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("queued again")
    reload_until(page, 'tr[data-job-id="retry:admin_live:run"][data-state="succeeded"]', "the retry succeeded")
    page.context.close()


def test_email_preview_page(browser, shop, screenshot):
    from playwright.sync_api import expect

    page = sign_in(browser, shop)
    page.goto(shop.base_url + "/admin/emails")
    page.get_by_role("link", name="Order confirmation").click()
    expect(page.frame_locator("iframe.preview").get_by_text("SAMPLE-1001").first).to_be_visible()
    photograph(page, screenshot, "email")
    page.context.close()


def test_staff_without_plugins_write_are_refused(browser, shop):
    from playwright.sync_api import expect

    page = sign_in(browser, shop, SUPPORT)
    expect(page.get_by_role("navigation", name="Admin").get_by_role("link", name="Plugins")).to_have_count(0)
    for path in ("/admin/plugins", "/admin/plugins/payments_stripe", "/admin/themes", "/admin/themes/boutique",
                 "/admin/jobs", "/admin/emails"):
        response = page.goto(shop.base_url + path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.context.close()
