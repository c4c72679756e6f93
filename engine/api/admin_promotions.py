"""Admin API for promotions and vouchers: ``/api/v1/admin/promotions``
(``catalog:read`` to list, ``catalog:write`` to change)."""
from __future__ import annotations

from quart import Blueprint, current_app
from quart_schema import validate_request

from engine.api.schemas import PromotionIn, PromotionPatch
from engine.pricing import manage
from engine.web.guard import require_permission

blueprint = Blueprint("admin_promotions_api", __name__, url_prefix="/api/v1/admin/promotions")


@blueprint.get("")
@require_permission("catalog:read")
async def list_promotions():
    return {"items": await manage.list_promotions()}


@blueprint.post("")
@require_permission("catalog:write")
@validate_request(PromotionIn)
async def create_promotion(data: PromotionIn):
    """Create a promotion; with ``code`` it is a voucher, else it applies automatically."""
    return await manage.create_promotion(current_app.runtime, data.model_dump()), 201


@blueprint.get("/<int:promotion_id>")
@require_permission("catalog:read")
async def get_promotion(promotion_id: int):
    return await manage.get_promotion(promotion_id)


@blueprint.patch("/<int:promotion_id>")
@require_permission("catalog:write")
@validate_request(PromotionPatch)
async def update_promotion(promotion_id: int, data: PromotionPatch):
    """Change the fields given; the promotion is checked again as a whole."""
    return await manage.update_promotion(current_app.runtime, promotion_id, data.model_dump(exclude_unset=True))


@blueprint.delete("/<int:promotion_id>")
@require_permission("catalog:write")
async def delete_promotion(promotion_id: int):
    """Deactivate a promotion (kept for the orders that used it)."""
    await manage.delete_promotion(current_app.runtime, promotion_id)
    return await manage.get_promotion(promotion_id)
