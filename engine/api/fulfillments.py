"""Admin JSON API for shipments: their status, labels and packing slips
(``/api/v1/admin/orders/<number>/fulfillments/<id>/...``)."""
from __future__ import annotations

import asyncio

from quart import Blueprint, Response, current_app
from quart_schema import document_request

from engine.api.orders import _actor, _body, require_read
from engine.api.schemas import ShipmentStatusIn
from engine.fulfillment import documents, labels
from engine.orders import shipments
from engine.web.guard import require_permission

blueprint = Blueprint("admin_fulfillments_api", __name__, url_prefix="/api/v1/admin/orders")


@blueprint.post("/<number>/fulfillments/<int:fulfillment_id>/status")
@require_permission("orders:write")
@document_request(ShipmentStatusIn)
async def set_status(number: str, fulfillment_id: int):
    """Move a shipment forward (created → shipped → in_transit → delivered, or
    returned); the same status again changes nothing; backwards is a 409."""
    body = await _body(ShipmentStatusIn)
    return await shipments.set_status(current_app.runtime, number, fulfillment_id, body.status, _actor(),
                                      body.note or "")


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, content_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@blueprint.get("/<number>/fulfillments/<int:fulfillment_id>/label.pdf")
@require_read
async def label(number: str, fulfillment_id: int):
    """The shipment's label (PDF): a label provider's, else the core's generic
    label. 404 unless the shipment belongs to the order."""
    runtime = current_app.runtime
    document = await shipments.document(runtime, number, fulfillment_id)
    content, _ = await labels.label_pdf(runtime, document)
    return _pdf(content, f"label-{number}-{fulfillment_id}.pdf")


@blueprint.get("/<number>/fulfillments/<int:fulfillment_id>/packing-slip.pdf")
@require_read
async def packing_slip(number: str, fulfillment_id: int):
    """The shipment's packing slip (PDF). 404 unless the shipment belongs to the order."""
    document = await shipments.document(current_app.runtime, number, fulfillment_id)
    content = await asyncio.to_thread(documents.packing_slip, document)  # CPU-bound: off the event loop
    return _pdf(content, f"packing-slip-{number}-{fulfillment_id}.pdf")
