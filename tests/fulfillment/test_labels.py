"""Labels and packing slips: PDFs at the contract's routes, read back with pypdf."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from engine.accounts.staff import create_token
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
async def shipped(database_url, make_app):
    app = await make_app(database_url=database_url, store={"name": "Test Shop"})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, title="Linen tee", weight_grams=300)
    token, _ = await create_token("shipping", ["orders:read", "orders:write"])
    reader, _ = await create_token("support", ["orders:read"])
    app.staff, app.reader = ({"Authorization": f"Bearer {t}"} for t in (token, reader))
    client = app.test_client()
    numbers = []
    for first_name in ("Zoë", "Bob"):
        order = await (await checkout(client, await cart_with(client, "TEE-1", 2),
                                      shipping_address={**ADDRESS, "first_name": first_name})).get_json()
        await client.post(f"/api/v1/admin/orders/{order['number']}/mark-paid", headers=app.staff)
        made = await client.post(f"/api/v1/admin/orders/{order['number']}/fulfillments", headers=app.staff,
                                 json={"carrier": "DHL", "tracking_number": f"JJD00{len(numbers)}99"})
        numbers.append((order["number"], (await made.get_json())["fulfillments"][0]["id"]))
    return app, numbers


async def test_label_and_packing_slip_carry_the_shipment(shipped):
    app, [(number, shipment), (other, other_shipment)] = shipped
    client = app.test_client()
    base = f"/api/v1/admin/orders/{number}/fulfillments/{shipment}"
    label = await client.get(f"{base}/label.pdf", headers=app.reader)
    assert label.status_code == 200 and label.content_type == "application/pdf"
    text = pdf_text(await label.get_data())
    assert "JJD00099" in text and f"Order {number}" in text and "Zoë Lovelace" in text
    assert "Test Shop" in text and "0.60 kg" in text and "2 × TEE-1" in text
    slip = await client.get(f"{base}/packing-slip.pdf", headers=app.reader)
    text = pdf_text(await slip.get_data())
    assert "Linen tee" in text and "Unter den Linden 1" in text and number in text

    # Another order's shipment, an unknown one, no token, a token without orders:read.
    assert (await client.get(f"/api/v1/admin/orders/{number}/fulfillments/{other_shipment}/label.pdf",
                             headers=app.reader)).status_code == 404
    assert (await client.get(f"/api/v1/admin/orders/{other}/fulfillments/{shipment}/packing-slip.pdf",
                             headers=app.reader)).status_code == 404
    assert (await client.get(f"{base}/label.pdf")).status_code == 401
    catalog, _ = await create_token("catalog", ["catalog:read"])
    assert (await client.get(f"{base}/label.pdf", headers={"Authorization": f"Bearer {catalog}"})).status_code == 403


class CarrierLabels:
    """Labels for carrier ACME only, like a carrier plugin that buys them."""

    id = "acme"

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def label(self, document):
        if document.carrier != "ACME":
            return None
        self.keys.append(document.idempotency_key)
        return b"%PDF-1.4 acme label " + document.tracking_number.encode()


class BrokenLabels:
    id = "broken"

    async def label(self, document):
        raise ConnectionError("label API down")


async def test_hook_fulfillment_label_providers(make_runtime):
    from types import SimpleNamespace

    from engine import PluginManifest, hookimpl
    from engine.fulfillment.labels import label_pdf
    from engine.protocols import ShipmentDocument, ShipmentLine

    acme = CarrierLabels()

    def offering(name, priority, provider):
        return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, priority=priority),
                               fulfillment_label_providers=hookimpl(lambda settings: [provider]))

    plugins = [offering("broken_labels", 1, BrokenLabels()), offering("acme", 2, acme)]
    runtime = await make_runtime(plugins=plugins)
    document = ShipmentDocument("1001", 7, dict(ADDRESS), {"name": "Shop"}, (ShipmentLine("TEE-1", "Tee", 1, 250),),
                                250, carrier="ACME", tracking_number="AC123", idempotency_key="sw-label-7")
    assert await label_pdf(runtime, document) == (b"%PDF-1.4 acme label AC123", "acme")
    assert acme.keys == ["sw-label-7"]
    generic, made_by = await label_pdf(runtime, ShipmentDocument(**{**document.__dict__, "carrier": "DHL"}))
    assert made_by == "core" and "AC123" in pdf_text(generic)
    assert "label API down" in (await runtime.host.failures())["broken_labels"].message


def test_a_label_in_another_script_keeps_its_letters():
    from engine.fulfillment.documents import generic_label, packing_slip
    from engine.protocols import ShipmentDocument, ShipmentLine

    document = ShipmentDocument("1002", 8, {**ADDRESS, "first_name": "Łukasz", "city": "Łódź"}, {"name": "Shop"},
                                (ShipmentLine("TEE-1", "Koszulka lniana", 1, 250),), 250, tracking_number="PL1")
    assert "Łukasz" in pdf_text(generic_label(document)) and "Łódź" in pdf_text(packing_slip(document))
