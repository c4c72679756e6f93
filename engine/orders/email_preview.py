"""Previews of the order e-mails (:data:`engine.orders.emails.EVENT_TEMPLATES`)
as the active theme renders them, and test messages, for the admin.

Previews use a made-up order, never a customer's: a test message may go to
any address the staff member types, and must not carry anyone's data. The
sample has the shape :func:`engine.orders.services.order_json` gives the real
e-mails, in the store's currency.
"""
from __future__ import annotations

from email.utils import make_msgid
from typing import Any

import aiosmtplib
from jinja2 import TemplateError

from engine.notifications import mailer
from engine.orders.emails import EVENT_TEMPLATES
from engine.orders.services import totals_json

#: e-mail template name → the event that sends it
TEMPLATE_EVENTS = {template: event for event, template in EVENT_TEMPLATES.items()}


class PreviewFailed(RuntimeError):
    """The e-mail's templates failed to render (a theme's override names what
    the sample order lacks, or has an error); the message says where."""


class MailNotSent(RuntimeError):
    """The test message was not sent; the message says why."""


class MailNotConfigured(MailNotSent):
    """``mail.smtp_host`` is empty: nothing can be sent."""


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def sample_context(runtime, name: str) -> dict[str, Any]:
    """What e-mail ``name`` is rendered with, for a made-up order (KeyError
    for a name that is not an order e-mail)."""
    event = TEMPLATE_EVENTS[name]
    currency = runtime.settings.store.currency
    status = {"order_paid": "paid", "shipment_shipped": "fulfilled", "order_cancelled": "cancelled",
              "order_refunded": "partially_refunded"}.get(event, "pending_payment")
    address = {"first_name": "Alex", "last_name": "Example", "company": "", "line1": "1 Sample Street", "line2": "",
               "city": "Sampletown", "region": "", "postal_code": "12345", "country": "DE"}
    order = {
        "number": "SAMPLE-1001", "status": status, "currency": currency, "email": "alex@example.com",
        "lines": [{"sku": "TEE-SAMPLE", "title": "Sample T-shirt", "options": {"size": "M"}, "quantity": 2,
                   "unit_price": _money(1990, currency), "subtotal": _money(3980, currency)}],
        "adjustments": [{"label": "Welcome discount", "amount": _money(-398, currency)}],
        "tax_lines": [{"label": "VAT 19%", "amount": _money(572, currency)}],
        "shipping_method": {"id": "standard", "label": "Standard delivery"},
        "totals": totals_json({"subtotal": 3980, "discount_total": 398, "shipping_total": 490, "tax_total": 572,
                               "total": 4072, "currency": currency, "prices_include_tax": True,
                               "paid_amount": 4072, "refunded_amount": 1000}),
        "shipping_address": address, "billing_address": address,
        "payment": {"status": "pending", "instructions": "Transfer the total to IBAN DE00 0000 0000 0000 0000 00."},
    }
    payload = {"number": order["number"], "reason": "You asked us to cancel it.", "refunded": 4072, "amount": 1000,
               "lines": [{"sku": "TEE-SAMPLE", "quantity": 2}], "carrier": "DHL", "tracking_number": "00340434161234567890",
               "tracking_url": "https://www.dhl.de/track?piececode=00340434161234567890"}
    base_url = runtime.settings.store.base_url.rstrip("/")
    return {"order": order, "event": payload, "payment": order["payment"],
            "order_url": f"{base_url}/orders/{order['number']}?token=sample"}


async def preview(runtime, name: str) -> tuple[str, str, str]:
    """``(subject, text, html)`` of order e-mail ``name`` for the sample order;
    :class:`PreviewFailed` when its templates fail."""
    try:
        return await mailer.render(runtime, name, sample_context(runtime, name))
    except TemplateError as exc:
        raise PreviewFailed(f"{type(exc).__name__}: {exc}") from exc


async def send_test(runtime, name: str, recipient: str) -> str:
    """Send the sample of e-mail ``name`` to ``recipient`` over SMTP, marked as
    a test in its subject; returns the Message-ID. Raises
    :class:`MailNotConfigured` without an SMTP host and :class:`MailNotSent`
    when the server cannot be reached or refuses. Nothing is recorded as a
    delivery."""
    if not runtime.settings.mail.smtp_host:
        raise MailNotConfigured("mail.smtp_host is not set: the shop cannot send e-mail")
    subject, text, html = await preview(runtime, name)
    domain = runtime.settings.mail.from_address.rpartition("@")[2] or "localhost"
    message_id = make_msgid(idstring=f"test.{name}", domain=domain)
    try:
        await mailer.send(runtime, mailer.build_message(runtime, recipient, f"[Test] {subject}", text, html,
                                                        message_id))
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailNotSent(f"the mail server did not take it: {exc}") from exc
    return message_id
