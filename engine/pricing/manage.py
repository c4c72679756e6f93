"""Creating and changing promotions (the admin API and tests use these)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from engine.db.sql import fetch, fetchone
from engine.errors import Conflict, InvalidInput, NotFound
from engine.money import MAX_AMOUNT, is_currency
from engine.pricing.tables import PROMOTION_KINDS, PROMOTION_SCOPES

#: Counts (usage limits, quantities) are stored in 32-bit columns.
MAX_COUNT = 2**31 - 1
FIELDS = ("name", "kind", "value", "scope", "targets", "code", "buy_quantity", "get_quantity", "min_subtotal",
          "currency", "starts_at", "ends_at", "usage_limit", "per_customer_limit", "exclusive", "priority", "active")


def _when(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{field} must be an ISO 8601 date-time.", {field: "not an ISO 8601 date-time"}) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _count(value: Any, field: str, optional: bool = False, minimum: int = 0, maximum: int = MAX_COUNT) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        message = f"must be a whole number from {minimum} to {maximum}"
        raise InvalidInput(f"{field} {message}.", {field: message})
    return value


def clean(data: Mapping[str, Any], store_currency: str) -> dict[str, Any]:
    """Validate a promotion payload; raises :class:`InvalidInput` naming the field."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "is required (at most 200 characters)"
    kind = data.get("kind")
    if kind not in PROMOTION_KINDS:
        errors["kind"] = f"must be one of {', '.join(PROMOTION_KINDS)}"
    scope = data.get("scope") or "order"
    if scope not in PROMOTION_SCOPES:
        errors["scope"] = f"must be one of {', '.join(PROMOTION_SCOPES)}"
    targets = data.get("targets") or []
    if not isinstance(targets, (list, tuple)) or not all(isinstance(t, str) and t for t in targets):
        errors["targets"] = "must be a list of slugs"
    elif scope != "order" and not targets:
        errors["targets"] = f"name at least one {scope}"
    value = str(data.get("value", "0")).strip()
    try:
        number = Decimal(value)
        if len(value) > 32 or not number.is_finite():
            errors["value"] = "must be a number of at most 32 characters"
        elif kind in ("percentage", "buy_x_get_y") and not Decimal(0) <= number <= Decimal(100):
            errors["value"] = "must be a percentage between 0 and 100"
        elif kind == "fixed" and (number < 0 or number > MAX_AMOUNT or number != number.to_integral_value()):
            errors["value"] = f"must be whole minor units from 0 to {MAX_AMOUNT}"
    except InvalidOperation:
        errors["value"] = "must be a number"
    code = data.get("code")
    if code is not None:
        code = str(code).strip().upper()
        if not code or len(code) > 64 or not all(c.isalnum() or c in "-_" for c in code):
            errors["code"] = "letters, digits, '-' and '_' only (at most 64)"
    currency = str(data.get("currency") or store_currency).strip().upper()
    if not is_currency(currency):
        errors["currency"] = "must be an ISO 4217 currency code, e.g. EUR"
    elif currency != store_currency:
        errors["currency"] = f"must be the shop's currency, {store_currency}"
    if errors:
        raise InvalidInput("The promotion is not valid.", errors)
    out = {
        "name": name, "kind": kind, "value": value, "scope": scope, "targets": json.dumps(list(targets)),
        "code": code, "buy_quantity": _count(data.get("buy_quantity", 0), "buy_quantity"),
        "get_quantity": _count(data.get("get_quantity", 0), "get_quantity"),
        "min_subtotal": _count(data.get("min_subtotal", 0), "min_subtotal", maximum=MAX_AMOUNT), "currency": currency,
        "starts_at": _when(data.get("starts_at"), "starts_at"), "ends_at": _when(data.get("ends_at"), "ends_at"),
        "usage_limit": _count(data.get("usage_limit"), "usage_limit", optional=True),
        "per_customer_limit": _count(data.get("per_customer_limit"), "per_customer_limit", optional=True),
        "exclusive": bool(data.get("exclusive", False)),
        "priority": _count(data.get("priority", 100), "priority", minimum=-1_000_000, maximum=1_000_000),
        "active": bool(data.get("active", True)),
    }
    if kind == "buy_x_get_y" and (out["buy_quantity"] < 1 or out["get_quantity"] < 1):
        raise InvalidInput("Buy X get Y needs buy_quantity and get_quantity of at least 1.",
                           {"buy_quantity": "at least 1", "get_quantity": "at least 1"})
    if out["starts_at"] and out["ends_at"] and out["ends_at"] <= out["starts_at"]:
        raise InvalidInput("ends_at must be after starts_at.", {"ends_at": "must be after starts_at"})
    return out


def promotion_json(row: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: row[k] for k in FIELDS if k in row}
    body["id"] = row["id"]
    body["targets"] = json.loads(row["targets"] or "[]")
    body["used_count"] = row["used_count"]
    body["exclusive"], body["active"] = bool(row["exclusive"]), bool(row["active"])
    for key in ("starts_at", "ends_at"):
        if isinstance(body.get(key), datetime):
            body[key] = body[key].isoformat()
    return body


async def create_promotion(runtime, data: Mapping[str, Any]) -> dict[str, Any]:
    values = clean(data, runtime.settings.store.currency)
    async with runtime.database.transaction():
        if values["code"] and await fetchone("SELECT id FROM promotions WHERE UPPER(code) = {}", values["code"]):
            raise Conflict(f"A promotion with code {values['code']} exists.", {"code": "already used"})
        columns = ", ".join(values)
        marks = ", ".join("{}" for _ in values)
        row = await fetchone(f"INSERT INTO promotions ({columns}, used_count, created_at) VALUES ({marks}, 0, {{}}) "
                             f"RETURNING *", *values.values(), datetime.now(timezone.utc))
    return promotion_json(row)


async def get_promotion(promotion_id: int) -> dict[str, Any]:
    row = await fetchone("SELECT * FROM promotions WHERE id = {}", promotion_id)
    if row is None:
        raise NotFound(f"There is no promotion {promotion_id}.")
    return promotion_json(row)


async def update_promotion(runtime, promotion_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = await get_promotion(promotion_id)
    merged = {**current, **{k: v for k, v in changes.items() if k in FIELDS}}
    values = clean(merged, runtime.settings.store.currency)
    async with runtime.database.transaction():
        if values["code"] and await fetchone("SELECT id FROM promotions WHERE UPPER(code) = {} AND id <> {}",
                                             values["code"], promotion_id):
            raise Conflict(f"A promotion with code {values['code']} exists.", {"code": "already used"})
        assignments = ", ".join(f"{k} = {{}}" for k in values)
        row = await fetchone(f"UPDATE promotions SET {assignments} WHERE id = {{}} RETURNING *", *values.values(),
                             promotion_id)
    return promotion_json(row)


async def delete_promotion(runtime, promotion_id: int) -> None:
    """Deactivates (keeps the row: orders and usage counts refer to it)."""
    await get_promotion(promotion_id)
    async with runtime.database.transaction():
        await fetch("UPDATE promotions SET active = {} WHERE id = {}", False, promotion_id)


async def list_promotions() -> list[dict[str, Any]]:
    return [promotion_json(row) for row in await fetch("SELECT * FROM promotions ORDER BY priority, id")]
