"""Transactional e-mail over real SMTP (an aiosmtpd server on 127.0.0.1)."""
from __future__ import annotations

import asyncio
import time

import pytest

from engine.accounts.staff import create_token
from engine.db.sql import fetch
from engine.testing.checkout import add_product, cart_with, checkout
from engine.events import DomainEvent
from engine.notifications import mailer
from engine.orders import emails as order_mail


@pytest.fixture
def inbox(smtp_inbox):
    return smtp_inbox


@pytest.fixture
async def mail_shop(database_url, make_app, inbox):
    app = await make_app(database_url=database_url, mail={"smtp_host": "127.0.0.1", "smtp_port": inbox.port,
                                                          "from_address": "orders@shop.example"},
                         store={"name": "Test Shop", "base_url": "http://shop.example"})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, title="Linen tee")
    token, _ = await create_token("mail-test", ["orders:read", "orders:write"])
    app.staff = {"Authorization": f"Bearer {token}"}
    return app


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


async def test_order_mails_arrive_with_their_content(mail_shop, inbox):
    client = mail_shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1", 2), email="ada@example.test")).get_json()
    number = order["number"]
    [confirmation] = await inbox.wait_for(1)
    assert confirmation["To"] == "ada@example.test"
    assert confirmation["From"] == "Test Shop <orders@shop.example>"
    assert confirmation["Subject"] == f"Your order {number} at Test Shop"
    assert inbox.envelopes[0].rcpt_tos == ["ada@example.test"]
    text, html = parts(confirmation)
    assert "2 × Linen tee (TEE-1)" in text and "€54.90" in text
    assert "2–5 business days" in text and "2–5 business days" in html, "the flat rate's delivery estimate"
    assert f"order {number}" in text and "How to pay:" in text and "54.90 EUR" in text
    assert f"http://shop.example/orders/{number}?token={order['access_token']}" in text
    assert "<strong>" + number + "</strong>" in html and "Linen tee" in html and "€54.90" in html
    assert f'href="http://shop.example/orders/{number}?token={order["access_token"]}"' in html

    await client.post(f"/api/v1/admin/orders/{number}/mark-paid", headers=mail_shop.staff)
    paid = (await inbox.wait_for(2))[1]
    assert paid["Subject"] == f"Payment received for order {number}" and "€54.90" in parts(paid)[0]

    await client.post(f"/api/v1/admin/orders/{number}/fulfillments", headers=mail_shop.staff,
                      json={"tracking_number": "DHL-123", "carrier": "DHL"})
    shipped = (await inbox.wait_for(3))[2]
    assert shipped["Subject"] == f"Order {number} has shipped"
    assert "Tracking number (DHL): DHL-123" in parts(shipped)[0]

    await client.post(f"/api/v1/admin/orders/{number}/refund", headers=mail_shop.staff, json={"amount": 1000})
    refunded = (await inbox.wait_for(4))[3]
    assert refunded["Subject"] == f"Refund for order {number}" and "€10.00" in parts(refunded)[0]


async def test_cancellation_mail(mail_shop, inbox):
    client = mail_shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"))).get_json()
    await inbox.wait_for(1)
    await client.post(f"/api/v1/admin/orders/{order['number']}/cancel", headers=mail_shop.staff,
                      json={"note": "Out of season."})
    cancelled = (await inbox.wait_for(2))[1]
    assert cancelled["Subject"] == f"Order {order['number']} was cancelled"
    assert "Out of season." in parts(cancelled)[0]


async def test_a_mail_is_sent_once_per_event(mail_shop, inbox):
    client = mail_shop.test_client()
    await checkout(client, await cart_with(client, "TEE-1"))
    await inbox.wait_for(1)
    [row] = await fetch("SELECT o.id, o.name, o.payload FROM outbox_events o WHERE o.name = 'order_placed'")
    import json

    # The delivery is recorded once the SMTP server has accepted the message:
    # wait for that record (the message can reach the inbox a moment earlier).
    for _ in range(200):
        if await fetch("SELECT id FROM mail_deliveries"):
            break
        await asyncio.sleep(0.05)
    event = DomainEvent(id=row["id"], name=row["name"], payload=json.loads(row["payload"]))
    assert await order_mail.handle(mail_shop.runtime, event) is False, "already sent: nothing happens"
    await asyncio.sleep(0.3)
    assert len(inbox.messages) == 1
    deliveries = await fetch("SELECT dedupe_key, status FROM mail_deliveries")
    assert deliveries == [{"dedupe_key": f"event:{row['id']}:order_confirmation", "status": "sent"}]


async def test_a_theme_override_replaces_an_email_template(mail_shop, inbox, tmp_path, monkeypatch):
    overrides = tmp_path / "overrides"
    (overrides / "emails").mkdir(parents=True)
    (overrides / "emails" / "order_confirmation_subject.txt").write_text("Danke! Bestellung {{ order.number }}")
    monkeypatch.setattr(mailer, "OVERRIDES_DIR", overrides)
    client = mail_shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"))).get_json()
    [message] = await inbox.wait_for(1)
    assert message["Subject"] == f"Danke! Bestellung {order['number']}"
    assert "How to pay:" in parts(message)[0], "templates that are not overridden come from the core"


async def test_html_mail_escapes_what_shoppers_typed(mail_shop, inbox):
    client = mail_shop.test_client()
    from engine.testing.checkout import ADDRESS

    await checkout(client, await cart_with(client, "TEE-1"),
                   shipping_address={**ADDRESS, "first_name": "<script>x</script>"})
    [message] = await inbox.wait_for(1)
    text, html = parts(message)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Hello <script>x</script>," in text


async def test_without_an_smtp_host_mail_is_logged_not_sent(database_url, make_app, inbox):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", stock=5)
    client = app.test_client()
    await checkout(client, await cart_with(client, "TEE-1"))
    deadline = time.monotonic() + 10
    while not await fetch("SELECT status FROM mail_deliveries"):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert [r["status"] for r in await fetch("SELECT status FROM mail_deliveries")] == ["logged"]
    assert inbox.messages == []
