"""The order state machine through the admin API: paid, fulfilled, completed,
cancelled, refunded; stock follows; illegal transitions are refused."""
from __future__ import annotations

import pytest

from engine.catalog import services as catalog
from engine.db.sql import fetchone
from engine.orders.transitions import TRANSITIONS, allowed

STATUSES = {"pending_payment", "paid", "partially_fulfilled", "fulfilled", "completed", "cancelled",
            "partially_refunded", "refunded"}


def test_the_transition_table_is_closed_and_final_states_are_final():
    assert set(TRANSITIONS) == STATUSES
    assert all(targets <= STATUSES for targets in TRANSITIONS.values())
    assert TRANSITIONS["cancelled"] == TRANSITIONS["refunded"] == frozenset()
    assert not allowed("pending_payment", "fulfilled")
    assert not allowed("completed", "paid")
    assert allowed("paid", "partially_fulfilled") and allowed("partially_fulfilled", "fulfilled")


async def stock_of(sku: str) -> tuple[int, int]:
    row = await fetchone("SELECT on_hand, reserved FROM catalog_stock s JOIN catalog_variants v ON v.id = s.variant "
                         "WHERE v.sku = {}", sku)
    return row["on_hand"], row["reserved"]


async def post(shop, path, headers, json=None):
    response = await shop.test_client().post(f"/api/v1/admin/orders/{path}", headers=headers, json=json)
    return response.status_code, await response.get_json()


async def test_paid_fulfilled_completed_with_stock_and_timeline(shop, staff, place):
    order = await place(("TEE-1", 2), ("CAP-1", 1))
    number = order["number"]
    assert await stock_of("TEE-1") == (5, 2)
    status, paid = await post(shop, f"{number}/mark-paid", staff["write"], {"note": "IBAN transfer arrived"})
    assert status == 200 and paid["status"] == "paid"
    assert paid["totals"]["paid"] == order["totals"]["total"]
    assert paid["payment"]["status"] == "paid"
    assert await stock_of("TEE-1") == (3, 0), "a paid order turns the reservation into a deduction"
    again_status, again = await post(shop, f"{number}/mark-paid", staff["write"])
    assert again_status == 200 and again["status"] == "paid"
    assert await stock_of("TEE-1") == (3, 0), "marking paid twice changes nothing"

    status, partial = await post(shop, f"{number}/fulfillments", staff["write"],
                                 {"lines": [{"sku": "TEE-1", "quantity": 1}], "tracking_number": "TRK1"})
    assert status == 201 and partial["status"] == "partially_fulfilled"
    status, too_much = await post(shop, f"{number}/fulfillments", staff["write"],
                                  {"lines": [{"sku": "TEE-1", "quantity": 2}]})
    assert status == 422 and "only 1 left" in too_much["errors"]["lines.0.quantity"]
    status, full = await post(shop, f"{number}/fulfillments", staff["write"], {})
    assert status == 201 and full["status"] == "fulfilled"
    assert [f["lines"] for f in full["fulfillments"]] == [[{"sku": "TEE-1", "quantity": 1}],
                                                           [{"sku": "TEE-1", "quantity": 1},
                                                            {"sku": "CAP-1", "quantity": 1}]]
    assert full["fulfillments"][0]["tracking_number"] == "TRK1"
    status, done = await post(shop, f"{number}/complete", staff["write"])
    assert status == 200 and done["status"] == "completed"

    steps = [(e["from_status"], e["to_status"]) for e in done["events"] if e["kind"] in ("placed", "status")]
    assert steps == [(None, "pending_payment"), ("pending_payment", "paid"), ("paid", "partially_fulfilled"),
                     ("partially_fulfilled", "fulfilled"), ("fulfilled", "completed")]
    paid_event = next(e for e in done["events"] if e["to_status"] == "paid")
    assert paid_event["actor"] == "token:fulfilment" and paid_event["note"] == "IBAN transfer arrived"
    assert all(e["at"] for e in done["events"])


@pytest.mark.parametrize(("action", "body"), [
    ("fulfillments", {}), ("complete", None), ("refund", {"amount": 100}),
])
async def test_illegal_transitions_are_refused_with_409(shop, staff, place, action, body):
    order = await place()
    status, problem = await post(shop, f"{order['number']}/{action}", staff["write"], body)
    assert status == 409, problem
    assert problem["title"] == "Illegal order transition" and "pending_payment" in problem["detail"]
    detail = await shop.test_client().get(f"/api/v1/admin/orders/{order['number']}", headers=staff["read"])
    assert (await detail.get_json())["status"] == "pending_payment"


async def test_cancel_releases_reserved_stock_and_is_final(shop, staff, place):
    order = await place(("TEE-1", 3))
    assert await stock_of("TEE-1") == (5, 3)
    status, cancelled = await post(shop, f"{order['number']}/cancel", staff["write"], {"note": "customer asked"})
    assert status == 200 and cancelled["status"] == "cancelled"
    assert await stock_of("TEE-1") == (5, 0)
    assert {r["state"] for r in cancelled["reservations"]} == {"released"}
    for action in ("mark-paid", "cancel", "fulfillments", "refund"):
        status, problem = await post(shop, f"{order['number']}/{action}", staff["write"], {})
        assert status == 409, (action, problem)
    assert await stock_of("TEE-1") == (5, 0)


async def test_cancel_a_paid_order_refunds_and_restocks(shop, staff, place):
    order = await place(("TEE-1", 2))
    await post(shop, f"{order['number']}/mark-paid", staff["write"])
    assert await stock_of("TEE-1") == (3, 0)
    status, cancelled = await post(shop, f"{order['number']}/cancel", staff["write"])
    assert status == 200 and cancelled["status"] == "cancelled"
    assert cancelled["totals"]["refunded"] == order["totals"]["total"]
    assert await stock_of("TEE-1") == (5, 0)
    shipped = await place(("TEE-1", 1))
    await post(shop, f"{shipped['number']}/mark-paid", staff["write"])
    await post(shop, f"{shipped['number']}/fulfillments", staff["write"])
    status, _ = await post(shop, f"{shipped['number']}/cancel", staff["write"])
    assert status == 409, "a shipped order is refunded, not cancelled"


async def test_partial_and_full_refunds(shop, staff, place):
    order = await place(("TEE-1", 2))
    number, total = order["number"], order["totals"]["total"]
    await post(shop, f"{number}/mark-paid", staff["write"])
    status, partial = await post(shop, f"{number}/refund", staff["write"], {"amount": 1000})
    assert status == 200 and partial["status"] == "partially_refunded" and partial["totals"]["refunded"] == 1000
    status, problem = await post(shop, f"{number}/refund", staff["write"], {"amount": total})
    assert status == 422 and "amount" in problem["errors"]
    status, problem = await post(shop, f"{number}/refund", staff["write"], {"amount": "lots"})
    assert status == 422
    status, fulfilled = await post(shop, f"{number}/fulfillments", staff["write"])
    assert status == 201 and fulfilled["status"] == "fulfilled"
    status, full = await post(shop, f"{number}/refund", staff["write"], {})
    assert status == 200 and full["status"] == "refunded" and full["totals"]["refunded"] == total
    assert full["payments"][0]["status"] == "refunded"
    status, _ = await post(shop, f"{number}/refund", staff["write"], {"amount": 1})
    assert status == 409
    refunds = [e for e in full["events"] if e["kind"] == "refund"]
    assert [e["data"]["amount"] for e in refunds] == [1000, total - 1000]


async def test_a_manual_payment_is_not_captured_but_marked_paid(shop, staff, place):
    """The manual method cannot authorize (its capabilities say so): capture is
    refused, mark-paid records the money (the contract changed on purpose)."""
    order = await place()
    status, problem = await post(shop, f"{order['number']}/capture", staff["write"])
    assert status == 409 and "nothing to capture" in problem["detail"]
    status, paid = await post(shop, f"{order['number']}/mark-paid", staff["write"])
    assert status == 200 and paid["status"] == "paid"
    assert paid["money"]["captured"] == paid["totals"]["total"] == paid["totals"]["paid"]
    assert [(t["kind"], t["status"], t["source"]) for t in paid["money"]["transactions"]] == [
        ("capture", "succeeded", "staff")]
    assert paid["money"]["capabilities"]["authorize_then_capture"] is False
    assert (await catalog.get_variants(["TEE-1"]))["TEE-1"]["quantity_available"] == 3


async def test_unknown_order_is_404(shop, staff):
    status, problem = await post(shop, "424242/mark-paid", staff["write"])
    assert status == 404 and problem["status"] == 404
