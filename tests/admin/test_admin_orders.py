"""The admin's orders: the list (filters, search, keyset pages) and the
order page with its forms — mark paid, refund part, cancel, ship, note —
through the HTML forms on SQLite and PostgreSQL; a member without
``orders:write`` is refused every form."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from engine import PluginManifest, audit, hookimpl
from engine.money import format_amount
from engine.payments.actions import mark_paid
from engine.protocols import (
    GatewayCapabilities,
    PaymentAction,
    PaymentOutcome,
    WebhookOutcome,
)
from engine.testing.admin import staff_client
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout

ACTIONS = ("mark-paid", "capture", "void", "refund", "cancel", "fulfill", "complete", "note")


async def _order(app, sku: str = "TEE-1", quantity: int = 1, email: str = "ada@example.test", **address) -> dict:
    client = app.test_client()
    response = await checkout(client, await cart_with(client, sku, quantity), email=email,
                              shipping_address={**ADDRESS, **address})
    assert response.status_code == 201, await response.get_json()
    return await response.get_json()


def _numbers(page: str) -> list[str]:
    return re.findall(r'<tr data-order="(\d+)">', page)


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _refund_key(page: str) -> str:
    return re.search(r'name="refund_key" value="([^"]+)"', page).group(1)


async def _page(client, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status_code, await response.get_data(as_text=True)


async def test_the_list_filters_searches_and_pages_by_cursor(make_app, database_url, monkeypatch):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=50)
    ada = await _order(app)
    grace = await _order(app, email="grace@example.test", first_name="Grace", last_name="Hopper")
    jose = await _order(app, email="jose@example.test", first_name="José", last_name="Müller")
    await mark_paid(app.runtime, grace["number"], actor="test")
    staff = await staff_client(app, role="support")

    status, page = await _page(staff, "/admin/orders")
    assert status == 200 and _numbers(page) == [jose["number"], grace["number"], ada["number"]]
    assert "Grace Hopper" in page and "€29.90" in page
    assert _numbers((await _page(staff, "/admin/orders?q=grace@example.test"))[1]) == [grace["number"]]
    assert _numbers((await _page(staff, "/admin/orders?q=GRACE"))[1]) == [grace["number"]]
    assert _numbers((await _page(staff, "/admin/orders?q=hopper+grace"))[1]) == [grace["number"]]
    assert _numbers((await _page(staff, "/admin/orders?q=m%C3%BCller"))[1]) == [jose["number"]]
    assert _numbers((await _page(staff, f"/admin/orders?q={ada['number']}"))[1]) == [ada["number"]]
    assert _numbers((await _page(staff, "/admin/orders?q=50%25"))[1]) == []
    assert _numbers((await _page(staff, "/admin/orders?status=paid"))[1]) == [grace["number"]]
    assert _numbers((await _page(staff, "/admin/orders?payment=pending"))[1]) == [jose["number"], ada["number"]]
    assert _numbers((await _page(staff, "/admin/orders?payment=paid&fulfillment=unfulfilled"))[1]) == [grace["number"]]
    assert _numbers((await _page(staff, "/admin/orders?fulfillment=fulfilled"))[1]) == []
    assert _numbers((await _page(staff, "/admin/orders?placed_from=2000-01-01&placed_to=2000-12-31"))[1]) == []
    assert len(_numbers((await _page(staff, "/admin/orders?placed_from=2000-01-01"))[1])) == 3

    status, page = await _page(staff, "/admin/orders?placed_from=yesterday&payment=gold")
    assert status == 422
    assert "must be a day written YYYY-MM-DD" in page and 'data-field="payment"' in page and "one of pending" in page
    assert (await _page(staff, "/admin/orders?cursor=bogus"))[0] == 422

    import engine.admin.orders as listing_view
    monkeypatch.setattr(listing_view, "PAGE_SIZE", 2)  # a small page, so the cursor shows
    status, first = await _page(staff, "/admin/orders?payment=pending")
    assert _numbers(first) == [jose["number"], ada["number"]]
    assert 'rel="next"' not in first
    status, first = await _page(staff, "/admin/orders")
    assert _numbers(first) == [jose["number"], grace["number"]]
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    status, second = await _page(staff, older)
    assert status == 200 and _numbers(second) == [ada["number"]] and 'rel="next"' not in second


async def test_a_manual_order_is_marked_paid_partly_refunded_and_shipped(make_app, database_url):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    order = await _order(app, quantity=2)  # 2 × 25.00 + 4.90 shipping = 54.90
    number = order["number"]
    staff = await staff_client(app, role="manager")
    path = f"/admin/orders/{number}"

    status, page = await _page(staff, path)
    assert status == 200 and 'id="form-mark-paid"' in page and 'id="form-refund"' not in page
    assert 'id="form-capture"' not in page and 'id="form-void"' not in page  # the manual method cannot
    assert "Unter den Linden 1" in page and "Linen" not in page
    response = await staff.post(f"{path}/mark-paid", form={"csrf_token": _token(page), "note": "Transfer arrived"})
    assert response.status_code == 303 and response.headers["Location"] == f"{path}?done=mark-paid"

    status, page = await _page(staff, f"{path}?done=mark-paid")
    assert "Payment recorded." in page and 'id="order-status">paid<' in page
    assert 'id="form-refund"' in page and 'value="54.90"' in page and "Transfer arrived" in page
    assert 'data-kind="capture" data-status="succeeded"' in page

    for bad, message in (("12,50", "with a point for the decimals"), ("12.505", "EUR has 2 decimals"),
                         ("", "Enter an amount in EUR"), ("-3", "Enter an amount in EUR"),
                         ("60.00", "Enter an amount from 0.01 to 54.90 EUR.")):
        response = await staff.post(f"{path}/refund", form={"csrf_token": _token(page), "amount": bad,
                                                              "refund_key": _refund_key(page)})
        body = await response.get_data(as_text=True)
        assert response.status_code == 422, (bad, response.status_code)
        assert message in body and f'value="{bad}"' in body, bad
    key = _refund_key(page)
    form = {"csrf_token": _token(page), "amount": "12.50", "refund_key": key, "note": "Scratched"}
    assert (await staff.post(f"{path}/refund", form=form)).status_code == 303
    again = await staff.post(f"{path}/refund", form=form)  # the same form sent twice refunds once
    assert again.status_code == 303
    status, page = await _page(staff, path)
    assert 'id="order-status">partially refunded<' in page and 'id="total-refunded">€12.50<' in page
    assert page.count('data-kind="refund" data-status="succeeded"') == 1
    assert 'value="42.40"' in page and "Scratched" in page

    form = {"csrf_token": _token(page), "qty.TEE-1": "1", "tracking_number": "TRACK-123", "carrier": "DHL"}
    assert (await staff.post(f"{path}/fulfill", form=form)).status_code == 303
    status, page = await _page(staff, path)
    assert "TRACK-123" in page and 'id="order-status">partially fulfilled<' in page
    too_many = await staff.post(f"{path}/fulfill", form={"csrf_token": _token(page), "qty.TEE-1": "5"})
    assert too_many.status_code == 422 and "only 1 left to fulfil" in await too_many.get_data(as_text=True)
    empty_note = await staff.post(f"{path}/note", form={"csrf_token": _token(page), "note": "  "})
    assert empty_note.status_code == 422 and "Write the note first." in await empty_note.get_data(as_text=True)
    assert (await staff.post(f"{path}/note", form={"csrf_token": _token(page), "note": "Called Ada"})).status_code == 303
    assert "Called Ada" in (await _page(staff, path))[1]
    _, page = await _page(staff, path)
    assert (await staff.post(f"{path}/fulfill", form={"csrf_token": _token(page), "qty.TEE-1": "1"})).status_code == 303
    _, page = await _page(staff, path)
    assert 'id="order-status">fulfilled<' in page and 'id="form-complete"' in page and 'id="form-fulfill"' not in page
    assert (await staff.post(f"{path}/complete", form={"csrf_token": _token(page)})).status_code == 303
    _, page = await _page(staff, path)
    assert 'id="order-status">completed<' in page and 'id="form-complete"' not in page
    assert 'id="form-refund"' in page  # a completed order can still be refunded

    actions = [entry["action"] for entry in await audit.entries(50)]
    assert actions.count("order.refund") == 2 and "order.mark_paid" in actions and "order.fulfill" in actions


async def test_the_order_page_shows_adjustments_tax_lines_and_addresses(make_app):
    from engine.pricing import manage

    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, title="Linen tee")
    await app.runtime.host.configure("core_tax", {"rates": "DE=19", "label": "VAT"})
    await manage.create_promotion(app.runtime, {"name": "Ten off", "kind": "percentage", "value": "10",
                                                "currency": "EUR"})
    order = await _order(app, quantity=2, company="Analytical Engines GmbH", line2="Hinterhaus")
    _, page = await _page(await staff_client(app, role="support"), f"/admin/orders/{order['number']}")
    adjustment = re.search(r'<tr class="adjustment"><th scope="row">(.*?)</th><td>(.*?)</td>', page, re.DOTALL)
    assert "Ten off" in adjustment.group(1) and adjustment.group(2) == "-€5.00"
    tax = re.search(r'<tr class="tax"><th scope="row">(.*?)</th><td>(.*?)</td>', page, re.DOTALL)
    assert "VAT 19" in tax.group(1) and "added" in tax.group(1)
    assert tax.group(2) == format_amount(order["totals"]["tax"], "EUR", "en")
    assert "Analytical Engines GmbH" in page and "Hinterhaus" in page and "Linen tee" in page
    assert page.count("Order placed.") == 1


async def test_cancelling_an_unpaid_order_releases_it(make_app, database_url):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    number = (await _order(app))["number"]
    staff = await staff_client(app, role="manager")
    path = f"/admin/orders/{number}"
    _, page = await _page(staff, path)
    response = await staff.post(f"{path}/cancel", form={"csrf_token": _token(page), "note": "Asked by phone"})
    assert response.status_code == 303
    _, page = await _page(staff, path)
    assert 'id="order-status">cancelled<' in page and "Asked by phone" in page
    assert 'id="form-cancel"' not in page and 'id="form-mark-paid"' not in page
    late = await staff.post(f"{path}/mark-paid", form={"csrf_token": _token(page)})
    assert late.status_code == 409 and "cannot be marked paid" in await late.get_data(as_text=True)


async def test_without_orders_write_every_form_is_refused(make_app):
    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    number = (await _order(app))["number"]
    support = await staff_client(app, role="support")
    status, page = await _page(support, f"/admin/orders/{number}")
    assert status == 200 and "<form method=\"post\" action=\"/admin/orders/" not in page
    token = _token(page)  # the sign-out form's
    for action in ACTIONS:
        response = await support.post(f"/admin/orders/{number}/{action}", form={"csrf_token": token, "amount": "1"})
        assert response.status_code == 403, action
    status, page = await _page(support, f"/admin/orders/{number}")
    assert 'id="order-status">pending payment<' in page
    nobody = await staff_client(app, permissions=["catalog:read"])
    assert (await nobody.get("/admin/orders")).status_code == 403
    assert (await nobody.get(f"/admin/orders/{number}")).status_code == 403
    assert (await support.get("/admin/orders/999999")).status_code == 404


class AuthorizingGateway:
    """A card provider stand-in that authorizes at checkout and captures,
    voids and refunds when asked (the shop's real plugin path: hooks, ledger,
    webhooks); ``capabilities`` is set per test."""

    id = "authcard"
    title = "Card (authorize, capture later)"

    def __init__(self) -> None:
        self.capabilities = GatewayCapabilities(authorize_then_capture=True, partial_capture=True, void=True,
                                                refund=True, partial_refund=False, flow="redirect")
        self.moved: list[tuple[str, int]] = []
        self.refuse_next = 0  # captures refused (a declined card)
        self.silent_next = 0  # captures not answered (a timeout)
        self.keys: list[str] = []
        self.captured: set[str] = set()

    async def start(self, order):
        return PaymentAction(kind="redirect", reference=f"auth_{order['number']}",
                             data={"url": f"https://pay.example.test/{order['number']}"})

    async def capture(self, reference, amount, idempotency_key):
        self.keys.append(idempotency_key)
        if self.silent_next:
            self.silent_next -= 1
            raise TimeoutError("stand-in: no answer")
        if self.refuse_next:
            self.refuse_next -= 1
            return PaymentOutcome("failed", message="card declined")
        if idempotency_key not in self.captured:  # like a real provider, a repeated key moves nothing again
            self.captured.add(idempotency_key)
            self.moved.append(("capture", amount.amount))
        return PaymentOutcome("succeeded", provider_id=f"cap_{idempotency_key}")

    async def refund(self, reference, amount, idempotency_key):
        self.moved.append(("refund", amount.amount))
        return PaymentOutcome("succeeded", provider_id=f"ref_{idempotency_key}")

    async def cancel(self, reference, idempotency_key):
        self.moved.append(("void", 0))
        return PaymentOutcome("succeeded", provider_id=f"void_{reference}")

    async def complete(self, reference, params):
        return WebhookOutcome(f"poll:{reference}", reference, "pending")

    async def status(self, reference):
        return WebhookOutcome(f"poll:{reference}", reference, "pending")

    async def verify_webhook(self, body, headers):
        data = json.loads(body)
        return WebhookOutcome(event_id=data["id"], reference=data["reference"], status=data["status"],
                              provider_id=data.get("provider_id"))


async def _authorized_order(app) -> str:
    response = await checkout(app.test_client(), await cart_with(app.test_client(), "TEE-1", 2),
                              payment_method="authcard")
    order = await response.get_json()
    reference = order["payment"]["reference"]
    event = {"id": f"evt_{reference}", "reference": reference, "status": "authorized", "provider_id": f"ch_{reference}"}
    reported = await app.test_client().post("/webhooks/authcard_pay", data=json.dumps(event).encode(),
                                            headers={"Content-Type": "application/json"})
    assert reported.status_code == 200, await reported.get_json()
    return order["number"]


async def test_capture_and_void_are_offered_as_the_gateway_allows(make_app, database_url):
    gateway = AuthorizingGateway()
    plugin = SimpleNamespace(MANIFEST=PluginManifest(name="authcard_pay", title="Authorizing card"),
                             payment_gateways=hookimpl(lambda settings: [gateway]))
    app = await make_app(plugins=[plugin], database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    staff = await staff_client(app, role="manager")

    number = await _authorized_order(app)
    path = f"/admin/orders/{number}"
    _, page = await _page(staff, path)
    assert 'id="form-capture"' in page and 'id="form-void"' in page
    assert 'id="form-mark-paid"' not in page and 'id="form-refund"' not in page  # online, nothing captured yet
    assert 'id="capture-amount" name="amount" value="54.90"' in page
    form = {"csrf_token": _token(page), "amount": "30.00"}
    assert (await staff.post(f"{path}/capture", form=form)).status_code == 303
    _, page = await _page(staff, path)
    assert gateway.moved == [("capture", 3000)] and 'id="total-paid">€30.00<' in page
    assert 'id="form-void"' not in page
    # this gateway refunds the whole payment only: the amount is fixed, another one is refused at the field
    assert re.search(r'id="refund-amount" name="amount" value="30.00"\s+aria-describedby="refund-amount-help" readonly', page)
    partial = await staff.post(f"{path}/refund", form={"csrf_token": _token(page), "amount": "10.00",
                                                       "refund_key": _refund_key(page)})
    assert partial.status_code == 422 and "takes the whole amount only: 30.00 EUR" in await partial.get_data(as_text=True)
    assert gateway.moved == [("capture", 3000)]

    other = await _authorized_order(app)
    _, page = await _page(staff, f"/admin/orders/{other}")
    response = await staff.post(f"/admin/orders/{other}/void", form={"csrf_token": _token(page)})
    assert response.status_code == 303
    _, page = await _page(staff, f"/admin/orders/{other}")
    assert 'id="order-status">cancelled<' in page and 'data-kind="void" data-status="succeeded"' in page
    assert gateway.moved[-1] == ("void", 0)

    gateway.capabilities = GatewayCapabilities(refund=True, flow="redirect")  # takes the money at checkout
    third = await _authorized_order(app)
    _, page = await _page(staff, f"/admin/orders/{third}")
    assert 'id="form-capture"' not in page and 'id="form-void"' not in page
    refused = await staff.post(f"/admin/orders/{third}/capture", form={"csrf_token": _token(page)})
    assert refused.status_code == 409 and "takes the money at checkout" in await refused.get_data(as_text=True)


async def test_a_provider_refusing_or_not_answering_is_shown_on_the_page(make_app, database_url):
    gateway = AuthorizingGateway()
    plugin = SimpleNamespace(MANIFEST=PluginManifest(name="authcard_pay", title="Authorizing card"),
                             payment_gateways=hookimpl(lambda settings: [gateway]))
    app = await make_app(plugins=[plugin], database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    staff = await staff_client(app, role="manager")
    number = await _authorized_order(app)
    path = f"/admin/orders/{number}"
    _, page = await _page(staff, path)

    gateway.refuse_next = 1
    refused = await staff.post(f"{path}/capture", form={"csrf_token": _token(page), "amount": "54.90"})
    body = await refused.get_data(as_text=True)
    assert refused.status_code == 502 and "refused the capture: card declined" in body
    assert 'id="order-status">pending payment<' in body and 'data-kind="capture" data-status="failed"' in body

    gateway.silent_next = 1
    silent = await staff.post(f"{path}/capture", form={"csrf_token": _token(page), "amount": "54.90"})
    body = await silent.get_data(as_text=True)
    assert silent.status_code == 502 and "It is pending and will be retried" in body
    assert 'data-kind="capture" data-status="pending"' in body and "1 movement(s) pending" in body
    # sent again (the settle job the silence queued may run meanwhile): the pending capture, with its key
    again = await staff.post(f"{path}/capture", form={"csrf_token": _token(page), "amount": "54.90"})
    assert again.status_code == 303
    _, page = await _page(staff, path)
    assert 'id="order-status">paid<' in page and gateway.moved == [("capture", 5490)]
    assert len(set(gateway.keys[1:])) == 1 and gateway.keys[0] not in gateway.keys[1:]  # one key after the refusal
    await app.runtime.queue.drain()  # the settle job queued by the silence finds the row settled
    assert gateway.moved == [("capture", 5490)]


async def test_a_form_without_the_csrf_token_changes_nothing(make_app):
    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    number = (await _order(app))["number"]
    staff = await staff_client(app, role="manager")
    response = await staff.post(f"/admin/orders/{number}/mark-paid", form={"note": "forged"})
    assert response.status_code in (400, 403)
    _, page = await _page(staff, f"/admin/orders/{number}")
    assert 'id="order-status">pending payment<' in page and "forged" not in page


@pytest.mark.parametrize("text, minor", [("12.50", 1250), ("12.5", 1250), ("12", 1200), ("0.01", 1)])
def test_amounts_are_read_exactly(text, minor):
    from engine.admin.amounts import parse_amount

    assert parse_amount(text, "EUR") == minor


@pytest.mark.parametrize("text, currency", [("1,250", "EUR"), ("12.5", "JPY"), ("1.2345", "KWD"), ("1e3", "EUR"),
                                            ("0.00", "EUR"), ("12 50", "EUR"), ("€12", "EUR"), ("NaN", "EUR")])
def test_ambiguous_amounts_are_refused(text, currency):
    from engine.admin.amounts import AmountError, parse_amount

    with pytest.raises(AmountError):
        parse_amount(text, currency)


async def test_invalid_text_in_the_search_or_a_note_is_refused_not_a_500(make_app):
    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    number = (await _order(app))["number"]
    staff = await staff_client(app, role="manager")
    assert (await staff.get("/admin/orders?q=a%00b")).status_code == 422
    assert (await staff.get("/admin/orders?q=%ED%A0%80")).status_code == 422  # a lone surrogate, UTF-8 encoded
    _, page = await _page(staff, f"/admin/orders/{number}")
    response = await staff.post(f"/admin/orders/{number}/note", form={"csrf_token": _token(page), "note": "a\x00b"})
    assert response.status_code == 422
    long_search = await staff.get("/admin/orders?q=" + "x" * 5000)
    assert long_search.status_code in (200, 422)
