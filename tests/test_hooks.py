"""One test per hook specification, through the core's own call site.

``tests/test_meta.py`` fails when a hookspec has no ``test_hook_<name>`` here
(or anywhere under tests/).
"""
from __future__ import annotations

import asyncio
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sample_plugin.plugin as sample
from sample_plugin.tables import SampleNote

from engine import PluginManifest, hookimpl
from engine.accounts.auth import login_methods
from engine.accounts.staff import create_token
from engine.accounts.permissions import all_permissions, menu_items
from engine.checkout.validation import validate_checkout
from engine.fulfillment.shipping import shipping_quotes
from engine.money import Money
from engine.outbox import emit
from engine.payments.gateways import available_gateways
from engine.plugins import HookError
from engine.pricing.pipeline import price_lines
from engine.protocols import (
    AdminMenuItem,
    Adjustment,
    PaymentAction,
    PaymentOutcome,
    Permission,
    PriceableLine,
    ShippingQuote,
    ShippingQuoteRequest,
    TaxLine,
    WebhookOutcome,
)
from engine.testing.checkout import checkout_view, quote_request


def plugin(name: str, priority: int = 100, **hooks):
    """A plugin object made of the given hook functions."""
    return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, priority=priority),
                           **{key: hookimpl(value) for key, value in hooks.items()})


# ------------------------------------------------------------------ lifecycle
async def test_hook_lifecycle_startup(make_runtime):
    seen = []

    def failing(runtime):
        raise RuntimeError("start-up exploded")

    plugins = [plugin("starter", lifecycle_startup=lambda runtime: seen.append(runtime)),
               plugin("broken_start", priority=1, lifecycle_startup=failing)]
    runtime = await make_runtime(plugins=plugins)
    # enabled after start: a fresh runtime on the same database calls it at start-up
    from engine.runtime import Runtime

    second = Runtime(runtime.settings, plugins=plugins)
    await second.start(background=False, jobs=False)
    failures = await second.host.failures()
    await second.stop()
    assert seen == [second], "a plugin that fails at start-up does not stop the others (nor the start)"
    assert "start-up exploded" in failures["broken_start"].message


async def test_hook_lifecycle_shutdown(make_runtime):
    seen = []

    async def shutdown(runtime):
        seen.append(runtime)

    runtime = await make_runtime(plugins=[plugin("stopper", lifecycle_shutdown=shutdown)])
    await runtime.stop()
    assert seen == [runtime]


async def test_hook_lifecycle_blueprints(make_app):
    app = await make_app(plugins=[sample])
    client = app.test_client()
    await app.runtime.host.configure("sample_plugin", {"threshold": "4", "api_key": "k"})
    response = await client.get("/sample/ping")
    assert (await response.get_json()) == {"threshold": 4, "has_key": True}
    await app.runtime.host.disable("sample_plugin")
    assert (await client.get("/sample/ping")).status_code == 404
    await app.runtime.host.enable("sample_plugin")
    assert (await client.get("/sample/ping")).status_code == 200


# ------------------------------------------------------------------ auth
class MagicLinkLogin:
    id = "magic-link"
    title = "E-mail me a link"

    async def begin(self, request):
        return "/login/magic"


async def test_hook_auth_login_methods(make_runtime):
    runtime = await make_runtime(plugins=[plugin("magic", auth_login_methods=lambda: [MagicLinkLogin()])])
    methods = [(name, method.id) for name, method in await login_methods(runtime)]
    assert ("magic", "magic-link") in methods and ("core_auth", "password") in methods
    # a plugin that fails offers no method; the others still sign people in
    broken = await make_runtime(plugins=[plugin("bad_login", auth_login_methods=lambda: ["not a method"])])
    assert [name for name, _ in await login_methods(broken)] == ["core_auth"]
    assert "does not implement LoginMethod" in (await broken.host.failures())["bad_login"].message


async def test_hook_auth_resolve_actor(make_app):
    def resolve(request, credentials):
        if credentials.get("bearer") == "partner-key":
            return {"kind": "partner", "id": 1, "permissions": {"plugins:write"}}
        return None

    app = await make_app(plugins=[plugin("partner_auth", priority=1, auth_resolve_actor=resolve)])
    client = app.test_client()
    assert (await client.get("/api/v1/admin/plugins", headers={"Authorization": "Bearer partner-key"})).status_code == 200
    writer, _ = await create_token("ops", ["plugins:write"])
    reader, _ = await create_token("reader", ["catalog:read"])
    assert (await client.get("/api/v1/admin/plugins", headers={"Authorization": f"Bearer {writer}"})).status_code == 200
    assert (await client.get("/api/v1/admin/plugins", headers={"Authorization": f"Bearer {reader}"})).status_code == 403
    assert (await client.get("/api/v1/admin/plugins", headers={"Authorization": "Bearer swt_forged"})).status_code == 401


# ------------------------------------------------------------------ pricing
def line(sku="SKU-1", quantity=2, amount=1000):
    return PriceableLine(sku=sku, quantity=quantity, unit_price=Money(amount, "EUR"))


CONTEXT = {"currency": "EUR"}


async def test_hook_pricing_base_price(make_runtime):
    member_price = plugin("members", pricing_base_price=lambda line, context: Money(800, "EUR") if line.sku == "SKU-1" else None)
    runtime = await make_runtime(plugins=[member_price])
    priced = await price_lines(runtime, [line(), line("SKU-2", 1, 500)], CONTEXT)
    assert [l.unit_price.amount for l in priced.lines] == [800, 500]
    assert priced.subtotal == Money(2100, "EUR")
    wrong = await make_runtime(plugins=[plugin("usd", pricing_base_price=lambda line, context: Money(1, "USD"))])
    with pytest.raises(HookError, match="usd"):
        await price_lines(wrong, [line()], CONTEXT)


async def test_hook_pricing_adjustments(make_runtime):
    ten_off = plugin("ten_off", pricing_adjustments=lambda lines, context: [Adjustment("10 off", Money(-1000, "EUR"), "x")])
    huge = plugin("huge", priority=200, pricing_adjustments=lambda lines, context: [Adjustment("all off", Money(-99999, "EUR"), "x")])
    runtime = await make_runtime(plugins=[huge, ten_off])
    priced = await price_lines(runtime, [line()], CONTEXT)
    assert [(a.source, a.amount.amount) for a in priced.adjustments] == [("ten_off", -1000), ("huge", -1000)]
    assert priced.total == Money(0, "EUR"), "discounts never take the total below zero"


async def test_hook_pricing_tax_provider(make_runtime):
    class FlatVat:
        id = "flat_vat"

        async def compute(self, lines, address, prices_include_tax):
            base = sum((l.unit_price.times(l.quantity) for l in lines), Money.zero("EUR"))
            return [TaxLine("VAT 19%", Decimal("0.19"), base.apply_rate(Decimal("0.19")))]

    runtime = await make_runtime(plugins=[plugin("vat", pricing_tax_provider=lambda context: FlatVat())])
    priced = await price_lines(runtime, [line(quantity=1, amount=999)], CONTEXT)
    assert priced.tax_total == Money(190, "EUR")  # 189.81 rounds half-even to 190
    assert priced.total == Money(1189, "EUR")
    inclusive = await price_lines(runtime, [line(quantity=1, amount=999)], {**CONTEXT, "prices_include_tax": True})
    assert inclusive.total == Money(999, "EUR")


# ------------------------------------------------------------------ checkout
async def test_hook_checkout_validate(make_runtime):
    runtime = await make_runtime(plugins=[sample])
    assert await validate_checkout(runtime, checkout_view(email="ann@example.test")) == {}
    errors = await validate_checkout(runtime, checkout_view(email="bob@blocked.test"))
    assert errors == {"email": "Orders from blocked.test are not accepted."}
    await runtime.host.configure("sample_plugin", {"blocked_domain": "example.test"})
    assert "email" in await validate_checkout(runtime, checkout_view(email="ann@example.test"))


# ------------------------------------------------------------------ payment / fulfillment
class TransferGateway:
    title = "Bank transfer"

    def __init__(self, gateway_id="transfer"):
        self.id = gateway_id

    async def start(self, order):
        return PaymentAction(kind="none")

    async def capture(self, reference, amount, idempotency_key):
        return PaymentOutcome("succeeded")

    async def refund(self, reference, amount, idempotency_key):
        return PaymentOutcome("succeeded")

    async def cancel(self, reference, idempotency_key):
        return PaymentOutcome("succeeded")

    async def complete(self, reference, params):
        return WebhookOutcome(event_id="none")

    async def status(self, reference):
        return WebhookOutcome(event_id="none")

    async def verify_webhook(self, body, headers):
        raise ValueError("no webhooks")


async def test_hook_payment_gateways(make_runtime):
    runtime = await make_runtime(plugins=[plugin("transfer", payment_gateways=lambda settings: [TransferGateway()])])
    # the core manual method (a default plugin, lowest precedence) comes after
    assert [(e.plugin, e.id) for e in await available_gateways(runtime)] == [("transfer", "transfer"),
                                                                             ("core_payments", "manual")]
    clash = await make_runtime(plugins=[
        plugin("one", payment_gateways=lambda: [TransferGateway("same")]),
        plugin("two", payment_gateways=lambda: [TransferGateway("same")]),
    ])
    with pytest.raises(HookError, match="already used by 'one'"):
        await available_gateways(clash)


class Provider:
    def __init__(self, provider_id, delay=0.0, fail=False):
        self.id, self.delay, self.fail = provider_id, delay, fail

    async def quotes(self, request: ShippingQuoteRequest):
        assert request.country == "DE"
        await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("carrier API down")
        return [ShippingQuote(f"{self.id}:standard", f"{self.id} standard", Money(490, "EUR"), self.id)]


async def test_hook_fulfillment_shipping_providers(make_runtime):
    providers = plugin("carriers", fulfillment_shipping_providers=lambda settings: [
        Provider("fast"), Provider("slow", delay=2), Provider("broken", fail=True)])
    runtime = await make_runtime(plugins=[providers], settings={"plugins": {"hook_deadline_seconds": 0.3}})
    result = await shipping_quotes(runtime, quote_request())
    assert [q.id for q in result.quotes] == ["fast:standard", "flat_rate:standard"]
    assert "deadline" in result.dropped["slow"] and "carrier API down" in result.dropped["broken"]
    failures = await runtime.host.failures()
    assert failures["carriers"].hook == "fulfillment_shipping_providers:quotes"


# ------------------------------------------------------------------ admin
async def test_hook_admin_permissions(make_runtime):
    runtime = await make_runtime(plugins=[sample])
    permissions = await all_permissions(runtime)
    assert {"catalog:write", "plugins:write", "sample:manage"} <= set(permissions)
    clash = await make_runtime(plugins=[plugin("dup", admin_permissions=lambda: [Permission("catalog:read", "again")])])
    with pytest.raises(HookError, match="already declared"):
        await all_permissions(clash)


async def test_hook_admin_menu_items(make_runtime):
    runtime = await make_runtime(plugins=[plugin("menus", admin_menu_items=lambda actor: [
        AdminMenuItem("Reports", "/admin/reports", "orders:read"),
        AdminMenuItem("Plugins", "/admin/plugins", "plugins:write"),
    ])])
    support = {"permissions": {"orders:read"}}
    assert [i.label for i in await menu_items(runtime, support)] == ["Reports"]
    assert [i.label for i in await menu_items(runtime, {"permissions": {"all"}})] == ["Reports", "Plugins"]
    assert await menu_items(runtime, None) == []


# ------------------------------------------------------------------ jobs
async def test_hook_jobs_register(make_runtime, database_url):
    runtime = await make_runtime(plugins=[sample], database_url=database_url)
    assert await runtime.queue.enqueue("sample_plugin.write_note", "k1", "hello", _job_id="note:k1")
    assert not await runtime.queue.enqueue("sample_plugin.write_note", "k1", "hello", _job_id="note:k1")
    await runtime.queue.drain()
    notes = await SampleNote.select().run()
    assert [(n["key"], n["body"], n["runs"]) for n in notes] == [("k1", "hello", 1)]


async def test_hook_jobs_handle_event(make_runtime, database_url):
    runtime = await make_runtime(plugins=[sample], database_url=database_url)
    async with runtime.database.transaction():
        event_id = await emit("order_placed", {"number": "1001"})
    await runtime.relay_now()
    await runtime.relay_now()  # relaying twice still delivers once
    await runtime.queue.drain()
    notes = await SampleNote.select().where(SampleNote.key == f"event:{event_id}").run()
    assert len(notes) == 1 and notes[0]["runs"] == 1 and notes[0]["body"] == "order_placed"
