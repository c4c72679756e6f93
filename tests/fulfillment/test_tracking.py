"""Carrier status webhooks at ``POST /webhooks/<plugin>``: signed updates move
shipments forward, once; forged ones change nothing."""
from __future__ import annotations

import hashlib
import hmac
import json
from types import SimpleNamespace

import pytest

from engine import PluginManifest, hookimpl
from engine.accounts.staff import create_token
from engine.protocols import TrackingUpdate
from engine.testing import fetch
from engine.testing.checkout import add_product, cart_with, checkout

SECRET = b"carrier-webhook-secret"


class AcmeTracking:
    """Reads webhooks signed like many carriers sign them: HMAC-SHA256 of the
    raw body, hex, in a header."""

    id = "acme_tracking"

    async def verify_tracking(self, body, headers):
        sent = {k.lower(): v for k, v in headers.items()}.get("x-acme-signature", "")
        if not hmac.compare_digest(sent, hmac.new(SECRET, body, hashlib.sha256).hexdigest()):
            raise ValueError("signature does not match")
        events = json.loads(body)["events"]
        return [TrackingUpdate(e["id"], e["tracking_number"], e["status"], "ACME") for e in events]


ACME = SimpleNamespace(MANIFEST=PluginManifest(name="acme", title="ACME parcels"),
                       fulfillment_tracking_providers=hookimpl(lambda settings: [AcmeTracking()]))


def signed(events: list[dict], secret: bytes = SECRET) -> dict:
    body = json.dumps({"events": events}).encode()
    return {"data": body, "headers": {"X-Acme-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest(),
                                      "Content-Type": "application/json"}}


@pytest.fixture
async def shipped(database_url, make_app):
    app = await make_app(database_url=database_url, plugins=[ACME])
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    token, _ = await create_token("shipping", ["orders:read", "orders:write"])
    staff = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1", 1))).get_json()
    await client.post(f"/api/v1/admin/orders/{order['number']}/mark-paid", headers=staff)
    made = await client.post(f"/api/v1/admin/orders/{order['number']}/fulfillments", headers=staff,
                             json={"carrier": "ACME", "tracking_number": "AC-1"})
    assert made.status_code == 201
    return app, order


async def _status(order_id_number: str) -> str:
    rows = await fetch("SELECT f.status FROM order_fulfillments f JOIN orders o ON o.id = f.order_id "
                       "WHERE o.number = {}", order_id_number)
    return rows[0]["status"]


async def test_hook_fulfillment_tracking_providers(shipped):
    app, order = shipped
    client = app.test_client()
    forged = await client.post("/webhooks/acme", **signed([{"id": "e1", "tracking_number": "AC-1",
                                                            "status": "delivered"}], secret=b"guess"))
    assert forged.status_code == 400 and await _status(order["number"]) == "shipped"

    moved = await client.post("/webhooks/acme", **signed([{"id": "e2", "tracking_number": "AC-1",
                                                           "status": "in_transit"}]))
    assert moved.status_code == 200
    assert (await moved.get_json())["updates"] == [{"event_id": "e2", "result": "applied"}]
    replay = await client.post("/webhooks/acme", **signed([{"id": "e2", "tracking_number": "AC-1",
                                                            "status": "in_transit"}]))
    assert (await replay.get_json())["updates"] == [{"event_id": "e2", "result": "unchanged"}]
    batch = await client.post("/webhooks/acme", **signed([
        {"id": "e3", "tracking_number": "AC-1", "status": "delivered"},
        {"id": "e0", "tracking_number": "AC-1", "status": "shipped"},
        {"id": "e4", "tracking_number": "NOPE", "status": "delivered"}]))
    assert [u["result"] for u in (await batch.get_json())["updates"]] == ["applied", "stale", "unknown"]
    assert await _status(order["number"]) == "delivered"

    view = await (await client.get(f"/api/v1/orders/{order['number']}?token={order['access_token']}")).get_json()
    assert view["shipments"][0]["status"] == "delivered"
    timeline = await fetch("SELECT actor FROM order_events WHERE kind = 'fulfillment' ORDER BY id")
    assert [row["actor"] for row in timeline] == ["webhook:acme", "webhook:acme"]
    bad = await client.post("/webhooks/acme", **signed([{"id": "e5", "tracking_number": "AC-1",
                                                         "status": "lost"}]))
    assert bad.status_code == 502, "a plugin answering an unknown status is the plugin's fault"
    assert (await client.post("/webhooks/nobody", data=b"{}")).status_code == 404
