"""/admin/emails: each order e-mail previewed as the active theme renders it,
and a test message delivered to a real SMTP server (aiosmtpd)."""
from __future__ import annotations

from engine.testing import fetch
from engine.testing.admin import form_token, staff_client

PAGE = "/admin/emails/order_confirmation"


async def test_preview_and_test_message(mail_shop, inbox):
    owner = await staff_client(mail_shop, email="owner@example.test")
    listing = await (await owner.get("/admin/emails")).get_data(as_text=True)
    for name in ("order_confirmation", "payment_received", "order_shipped", "order_cancelled", "order_refunded"):
        assert f'href="/admin/emails/{name}"' in listing
        page = await owner.get(f"/admin/emails/{name}")
        assert page.status_code == 200, name
        html = await owner.get(f"/admin/emails/{name}/preview.html")
        assert html.status_code == 200 and "SAMPLE-1001" in await html.get_data(as_text=True), name
        assert "frame-ancestors 'self'" in html.headers["Content-Security-Policy"]
        assert "script-src" not in html.headers["Content-Security-Policy"]

    page = await (await owner.get(PAGE)).get_data(as_text=True)
    assert "SAMPLE-1001" in page and 'value="owner@example.test"' in page

    token = await form_token(owner, PAGE)
    bad = await owner.post(PAGE + "/test", form={"csrf_token": token, "to": "not an address"})
    assert bad.status_code == 422 and inbox.messages == []
    sent = await owner.post(PAGE + "/test", form={"csrf_token": token, "to": "merchant@example.test"})
    assert sent.status_code == 200 and "A test message was sent to merchant@example.test" in await sent.get_data(
        as_text=True)
    [message] = await inbox.wait_for(1)
    assert message["To"] == "merchant@example.test" and message["Subject"].startswith("[Test] ")
    assert "SAMPLE-1001" in message.get_body(("html",)).get_content()
    entries = await fetch("SELECT target FROM audit_log WHERE action = {}", "email.test")
    assert [row["target"] for row in entries] == ["template=order_confirmation"]


async def test_email_pages_without_smtp_and_permission(make_app):
    app = await make_app()
    owner = await staff_client(app)
    token = await form_token(owner, PAGE)
    refused = await owner.post(PAGE + "/test", form={"csrf_token": token, "to": "merchant@example.test"})
    assert refused.status_code == 409 and "mail.smtp_host" in await refused.get_data(as_text=True)
    assert (await owner.get("/admin/emails/nope")).status_code == 404
    support = await staff_client(app, role="support")
    for path in ("/admin/emails", PAGE, PAGE + "/preview.html"):
        assert (await support.get(path)).status_code == 403
    token = await form_token(support, "/admin/account")
    assert (await support.post(PAGE + "/test", form={"csrf_token": token, "to": "x@example.test"})).status_code == 403
