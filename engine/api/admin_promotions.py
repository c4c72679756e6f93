"""Admin API for promotions and vouchers: ``/api/v1/admin/promotions``
(``catalog:read`` to list, ``catalog:write`` to change)."""
from __future__ import annotations

from quart import Blueprint, current_app, request
from quart_schema import document_request

from engine.web.guard import require_permission
from engine.errors import InvalidInput
from engine.api.schemas import PromotionIn
from engine.pricing import manage

blueprint = Blueprint("admin_promotions_api", __name__, url_prefix="/api/v1/admin/promotions")


async def _json() -> dict:
    data = await request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.", {"body": "expected a JSON object"})
    return data


@blueprint.get("")
@require_permission("catalog:read")
async def list_promotions():
    return {"items": await manage.list_promotions()}


@blueprint.post("")
@require_permission("catalog:write")
@document_request(PromotionIn)
async def create_promotion():
    """Create a promotion; with ``code`` it is a voucher, else it applies automatically."""
    return await manage.create_promotion(current_app.runtime, await _json()), 201


@blueprint.get("/<int:promotion_id>")
@require_permission("catalog:read")
async def get_promotion(promotion_id: int):
    return await manage.get_promotion(promotion_id)


@blueprint.patch("/<int:promotion_id>")
@require_permission("catalog:write")
@document_request(PromotionIn)
async def update_promotion(promotion_id: int):
    return await manage.update_promotion(current_app.runtime, promotion_id, await _json())


@blueprint.delete("/<int:promotion_id>")
@require_permission("catalog:write")
async def delete_promotion(promotion_id: int):
    """Deactivate a promotion (kept for the orders that used it)."""
    await manage.delete_promotion(current_app.runtime, promotion_id)
    return await manage.get_promotion(promotion_id)
