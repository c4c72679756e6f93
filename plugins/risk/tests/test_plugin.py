"""The plugin as a merchant gets it: installed but not enabled, then enabled
and configured from the ``shopwright`` command while the shop runs; every
order it sees is scored in its placement, risky ones are held with their
reasons, staff's decisions become labels for the model; its cron job is
registered. Scoring and labels on SQLite and PostgreSQL."""
from __future__ import annotations

import json

from engine import sdk
from engine.testing import api_token, check_installed, collect_jobs, run_shopwright, wait_until
from engine.testing.admin import staff_client
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout
from shopwright_risk import model, plugin
from shopwright_risk.tables import RiskAssessment

NAME = "risk"
ABROAD = dict(ADDRESS, country="FR")


async def _order(app, quantity: int = 1, **overrides) -> dict:
    client = app.test_client()
    response = await checkout(client, await cart_with(client, "RISK-1", quantity), **overrides)
    assert response.status_code == 201, await response.get_json()
    return await response.get_json()


async def _assessment(number: str) -> dict | None:
    return await RiskAssessment.select().where(RiskAssessment.number == number).first()


def test_entry_point_loads_without_error():
    check_installed(NAME, plugin, "shopwright-risk")


async def test_enabled_and_configured_at_runtime_from_the_command_line(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], enable=[], database_url=sqlite_url)
    await add_product(app.runtime, "RISK-1", price=4000, stock=50)
    owner, job = collect_jobs(app.runtime.host)["risk.train"]
    assert owner == NAME and job.cron == {"hour": {0, 6, 12, 18}, "minute": {41}}, "a cron job of the worker"
    before = await _order(app, email="early@yopmail.com", billing_address=ABROAD)
    assert await _assessment(before["number"]) is None, "installed is not enabled"

    run_shopwright(app, "plugins", "enable", NAME)
    run_shopwright(app, "plugins", "configure", NAME, "threshold=60")
    await wait_until(lambda: app.runtime.host.is_active(NAME), what="the running shop loading the plugin")

    async def configured():
        return sdk.plugin_settings(app.runtime, NAME).threshold == 60
    await wait_until(configured, what="the running shop reading the new threshold")
    held = await _order(app, email="late@yopmail.com", billing_address=ABROAD)
    assessment = await _assessment(held["number"])
    assert (assessment["score"], assessment["held"]) == (63, True), "50 and 25 points combine to 63 ≥ 60"
    [hold] = await sdk.order_holds(app.runtime, held["number"])
    assert hold.status == "open" and hold.score == 63 and hold.plugin == NAME
    assert any("yopmail.com" in reason for reason in hold.reasons)
    assert any("Billing country FR" in reason for reason in hold.reasons)
    listed = run_shopwright(app, "plugins", "list").stdout
    assert NAME in listed
    status = run_shopwright(app, NAME, "status").stdout
    assert "scored 1 orders, held 1; labelled 0 fraudulent, 0 genuine" in status and "model: none yet" in status
    assert "not trained: 0 labelled orders" in run_shopwright(app, NAME, "train").stdout
    staff = await staff_client(app)
    form = await staff.get(f"/admin/plugins/{NAME}")
    text = await form.get_data(as_text=True)
    assert form.status_code == 200 and 'name="threshold"' in text and 'value="60"' in text
    assert 'name="weight_disposable_email"' in text and 'name="large_order_factor"' in text


async def test_orders_are_scored_held_and_labelled(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    await add_product(app.runtime, "RISK-1", price=4000, stock=50)
    headers = {"Authorization": f"Bearer {await api_token('review', ['orders:read', 'orders:write'])}"}
    client = app.test_client()
    fits = model.FITS

    clean = await _order(app, email="ada@example.test")
    assessment = await _assessment(clean["number"])
    assert (assessment["score"], assessment["held"], assessment["email"]) == (0, False, "ada@example.test")
    assert assessment["ip_hash"] and "127.0.0.1" not in assessment["ip_hash"], "the address is kept as a digest"
    assert await sdk.order_holds(app.runtime, clean["number"]) == []

    await app.runtime.host.configure(NAME, {"threshold": "60"})
    fraud = await _order(app, email="mule@mailinator.com", billing_address=ABROAD)
    number = fraud["number"]
    paid = await client.post(f"/api/v1/admin/orders/{number}/mark-paid", headers=headers, json={})
    assert paid.status_code == 200, "a manual payment can still be recorded"
    shipped = await client.post(f"/api/v1/admin/orders/{number}/fulfillments", headers=headers, json={})
    problem = await shipped.get_json()
    assert shipped.status_code == 409 and problem["type"] == "/problems/order-held", problem
    cancelled = await client.post(f"/api/v1/admin/orders/{number}/cancel", headers=headers, json={"fraud": True})
    assert cancelled.status_code == 200, await cancelled.get_json()

    genuine = await _order(app, email="traveller@yopmail.com", billing_address=ABROAD)
    hold = (await sdk.order_holds(app.runtime, genuine["number"]))[0]
    released = await client.post(f"/api/v1/admin/orders/{genuine['number']}/holds/{hold.id}/release",
                                 headers=headers, json={})
    assert released.status_code == 200

    marked = await client.post(f"/api/v1/admin/orders/{clean['number']}/fraud", headers=headers,
                               json={"note": "Chargeback."})
    assert marked.status_code == 200, "a chargeback on an order that was never held"

    async def labelled():
        await app.runtime.queue.drain()
        labels = [(await _assessment(n))["label"] for n in (number, genuine["number"], clean["number"])]
        return labels == [1, 0, 1]
    await wait_until(labelled, what="staff's decisions becoming labels in the worker")

    for _ in range(3):   # velocity: the same shopper, address and payer again and again
        last = await _order(app, email="ada@example.test")
    velocity = await _assessment(last["number"])
    assert velocity["held"] and velocity["score"] == 78, "three velocity rules of 40 points: 78"
    reasons = (await sdk.order_holds(app.runtime, last["number"]))[0].reasons
    # 3 earlier orders of the e-mail and of the payer; 5 from the test client's address (every order so far)
    assert [r.split(" earlier")[0] for r in reasons] == ["3", "5", "3"] and "e-mail" in reasons[0]

    await app.runtime.host.configure(NAME, {"min_history": "5"})   # 6 orders of 44.90 scored so far
    big = await _assessment((await _order(app, quantity=5, email="new@example.test",
                                          billing_address=dict(ADDRESS, first_name="Neu")))["number"])
    assert any("First order from this e-mail, 4.6× the shop's average" in reason
               for reason in json.loads(big["reasons"])), big["reasons"]
    assert model.FITS == fits, "placing orders trains nothing"
