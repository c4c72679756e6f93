"""Admin API for outgoing webhooks under ``/api/v1/admin/webhooks``
(``plugins:write``: subscriptions carry shop data to third parties).

Subscriptions: list, create (the secret is in the answer, once), show,
change, delete, rotate the secret, resume after a pause. Deliveries: list
(per subscription or all), show with the attempt log, redeliver.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, current_app
from quart_schema import validate_querystring, validate_request, validate_response

from engine.api.schemas import JSONIn
from engine.web.guard import require_permission
from engine.webhooks import services
from engine.webhooks.events import EVENT_TYPES, WILDCARD

blueprint = Blueprint("admin_webhooks_api", __name__, url_prefix="/api/v1/admin/webhooks")
PERMISSION = "plugins:write"


class _In(JSONIn):
    model_config = ConfigDict(extra="forbid", strict=True)


#: An absolute http(s) URL with a host (the service checks the rest).
HTTP_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]+"
EventType = Literal[tuple([WILDCARD, *EVENT_TYPES])]  # type: ignore[valid-type]


class SubscriptionIn(_In):
    url: str = Field(min_length=1, max_length=services.MAX_URL_LENGTH, pattern=HTTP_URL,
                     description="http(s) URL to POST events to")
    event_types: list[EventType] = Field(min_length=1, description="Event types, or [\"*\"] for all")
    description: str = Field("", max_length=500)
    ordered: bool = Field(False, description="Deliver one at a time, oldest event first")
    active: bool = True


class SubscriptionPatch(_In):
    url: str | None = Field(None, min_length=1, max_length=services.MAX_URL_LENGTH, pattern=HTTP_URL)
    event_types: list[EventType] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=500)
    ordered: bool | None = None
    active: bool | None = None


class RotateIn(_In):
    overlap_seconds: int | None = Field(None, ge=0, le=30 * 86400,
                                        description="How long the old secret still signs (default: setting)")


class PageQuery(BaseModel):
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(50, ge=1, le=200)


class DeliveryQuery(PageQuery):
    status: Literal["pending", "succeeded", "failed"] | None = None


class SubscriptionModel(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    ordered: bool
    active: bool
    status: Literal["active", "paused", "disabled"]
    paused_at: str | None
    paused_reason: str | None
    consecutive_failures: int
    last_success_at: str | None
    last_failure_at: str | None
    secret_rotated_at: str | None
    previous_secret_expires_at: str | None
    created_at: str
    updated_at: str


class SubscriptionWithSecretModel(SubscriptionModel):
    secret: str = Field(description="The signing secret; shown only in this answer")


class SubscriptionListModel(BaseModel):
    items: list[SubscriptionModel]
    next_cursor: str | None


class DeliveryModel(BaseModel):
    id: int
    subscription_id: int
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: str | None
    first_attempt_at: str | None
    last_attempt_at: str | None
    delivered_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str


class AttemptModel(BaseModel):
    number: int
    started_at: str
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str


class DeliveryDetailModel(DeliveryModel):
    payload: dict[str, Any]
    attempt_log: list[AttemptModel]


class DeliveryListModel(BaseModel):
    items: list[DeliveryModel]
    next_cursor: str | None


class EventTypeModel(BaseModel):
    type: str
    description: str


class EventTypeListModel(BaseModel):
    items: list[EventTypeModel]


def _runtime():
    return current_app.runtime


@blueprint.get("/event-types")
@require_permission(PERMISSION)
@validate_response(EventTypeListModel, 200)
async def event_types():
    """The event types a subscription may name (``*``: all of them)."""
    items = [{"type": WILDCARD, "description": "Every event type."}]
    items += [{"type": kind, "description": text} for kind, text in EVENT_TYPES.items()]
    return {"items": items}


@blueprint.get("")
@require_permission(PERMISSION)
@validate_querystring(PageQuery)
@validate_response(SubscriptionListModel, 200)
async def list_subscriptions(query_args: PageQuery):
    """Subscriptions, newest first."""
    items, cursor = await services.list_subscriptions(query_args.cursor, query_args.limit)
    return {"items": items, "next_cursor": cursor}


@blueprint.post("")
@require_permission(PERMISSION)
@validate_request(SubscriptionIn)
@validate_response(SubscriptionWithSecretModel, 201)
async def create_subscription(data: SubscriptionIn):
    """Subscribe a URL to event types; the answer holds the signing secret (once)."""
    subscription, secret = await services.create_subscription(_runtime(), data.model_dump())
    return {**subscription, "secret": secret}, 201


@blueprint.get("/<int:subscription_id>")
@require_permission(PERMISSION)
@validate_response(SubscriptionModel, 200)
async def get_subscription(subscription_id: int):
    """One subscription (never its secret)."""
    return await services.get_subscription(subscription_id)


@blueprint.patch("/<int:subscription_id>")
@require_permission(PERMISSION)
@validate_request(SubscriptionPatch)
@validate_response(SubscriptionModel, 200)
async def update_subscription(subscription_id: int, data: SubscriptionPatch):
    """Change a subscription; ``active: false`` stops it (new events are not recorded)."""
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    return await services.update_subscription(_runtime(), subscription_id, changes)


@blueprint.delete("/<int:subscription_id>")
@require_permission(PERMISSION)
async def delete_subscription(subscription_id: int):
    """Delete a subscription with its delivery log."""
    await services.delete_subscription(subscription_id)
    return "", 204


@blueprint.post("/<int:subscription_id>/rotate-secret")
@require_permission(PERMISSION)
@validate_request(RotateIn)
@validate_response(SubscriptionWithSecretModel, 200)
async def rotate_secret(subscription_id: int, data: RotateIn):
    """New signing secret; the old one keeps signing during the overlap window."""
    subscription, secret = await services.rotate_secret(_runtime(), subscription_id, data.overlap_seconds)
    return {**subscription, "secret": secret}


@blueprint.post("/<int:subscription_id>/resume")
@require_permission(PERMISSION)
@validate_response(SubscriptionModel, 200)
async def resume_subscription(subscription_id: int):
    """Un-pause a subscription and send what is pending."""
    return await services.resume(_runtime(), subscription_id)


@blueprint.get("/<int:subscription_id>/deliveries")
@require_permission(PERMISSION)
@validate_querystring(DeliveryQuery)
@validate_response(DeliveryListModel, 200)
async def list_subscription_deliveries(subscription_id: int, query_args: DeliveryQuery):
    """Deliveries of one subscription, newest first."""
    items, cursor = await services.list_deliveries(subscription_id, query_args.status, query_args.cursor,
                                                   query_args.limit)
    return {"items": items, "next_cursor": cursor}


@blueprint.get("/deliveries")
@require_permission(PERMISSION)
@validate_querystring(DeliveryQuery)
@validate_response(DeliveryListModel, 200)
async def list_deliveries(query_args: DeliveryQuery):
    """Deliveries of every subscription, newest first."""
    items, cursor = await services.list_deliveries(None, query_args.status, query_args.cursor, query_args.limit)
    return {"items": items, "next_cursor": cursor}


@blueprint.get("/deliveries/<int:delivery_id>")
@require_permission(PERMISSION)
@validate_response(DeliveryDetailModel, 200)
async def get_delivery(delivery_id: int):
    """One delivery with its payload and every attempt (status, duration, error)."""
    return await services.get_delivery(delivery_id)


@blueprint.post("/deliveries/<int:delivery_id>/redeliver")
@require_permission(PERMISSION)
@validate_response(DeliveryDetailModel, 202)
async def redeliver(delivery_id: int):
    """Send a delivery again now (same event id; a new retry round)."""
    return await services.redeliver(_runtime(), delivery_id), 202
