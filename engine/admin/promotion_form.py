"""The promotion form of ``/admin/promotions``: staff's text to the payload
of :func:`engine.pricing.manage.create_promotion` / ``update_promotion``, and
a promotion back to the text the form shows.

Amounts are decimal major units of the shop's currency
(:mod:`engine.admin.amounts`), percentages as :mod:`engine.pricing.percent`
reads them; dates are ``datetime-local`` values taken as UTC. A field that
cannot be read comes back with its message, and nothing is saved.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from engine.admin.amounts import AmountError, format_major, parse_amount
from engine.pricing.percent import RateError, format_percent, parse_percent
from engine.pricing.tables import PROMOTION_KINDS, PROMOTION_SCOPES

TEXT_FIELDS = ("name", "code", "kind", "value", "scope", "targets", "min_subtotal", "usage_limit",
               "per_customer_limit", "buy_quantity", "get_quantity", "starts_at", "ends_at", "priority")
FLAGS = ("active", "exclusive")
MAX_TEXT = 2000
KINDS, SCOPES = PROMOTION_KINDS, PROMOTION_SCOPES


def _whole(text: str, field: str, errors: dict[str, str], optional: bool, default: int = 0) -> int | None:
    if not text:
        return None if optional else default
    if not text.isdigit() or len(text) > 10:
        errors[field] = "Enter a whole number, like 100."
        return None
    return int(text)


def read_form(form: Mapping[str, Any], currency: str) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """``(payload, typed, errors)``: the service payload, the form's text as
    typed (to show back) and the messages of fields that cannot be read."""
    typed = {name: str(form.get(name, "")).strip()[:MAX_TEXT] for name in TEXT_FIELDS}
    flags = {name: str(form.get(name, "")) in ("1", "on", "yes", "true") for name in FLAGS}
    errors: dict[str, str] = {}
    kind = typed["kind"] if typed["kind"] in PROMOTION_KINDS else ""
    payload: dict[str, Any] = {"name": typed["name"], "kind": kind or typed["kind"], "code": typed["code"] or None,
                               "scope": typed["scope"] or "order", **flags,
                               "targets": [t.strip() for t in typed["targets"].replace(",", " ").split() if t.strip()]}
    if kind == "fixed":
        try:
            payload["value"] = str(parse_amount(typed["value"], currency))
        except AmountError as exc:
            errors["value"] = str(exc)
    elif kind in ("percentage", "buy_x_get_y"):
        try:
            payload["value"] = str(parse_percent(typed["value"], allow_zero=False))
        except RateError as exc:
            errors["value"] = str(exc)
    else:
        payload["value"] = "0"
    if typed["min_subtotal"]:
        try:
            payload["min_subtotal"] = parse_amount(typed["min_subtotal"], currency)
        except AmountError as exc:
            errors["min_subtotal"] = str(exc)
    else:
        payload["min_subtotal"] = 0
    for name in ("usage_limit", "per_customer_limit"):
        payload[name] = _whole(typed[name], name, errors, optional=True)
    for name in ("buy_quantity", "get_quantity"):
        payload[name] = _whole(typed[name], name, errors, optional=False)
    payload["priority"] = _whole(typed["priority"], "priority", errors, optional=False, default=100)
    for name in ("starts_at", "ends_at"):
        payload[name] = typed[name] or None
    return payload, typed, errors


def _local(value: Any) -> str:
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.strftime("%Y-%m-%dT%H:%M")


def as_form(promotion: Mapping[str, Any]) -> dict[str, Any]:
    """A stored promotion (``promotion_json``) as the form's text."""
    kind = promotion["kind"]
    if kind == "fixed":
        value = format_major(int(promotion["value"]), promotion["currency"])
    elif kind in ("percentage", "buy_x_get_y"):
        value = format_percent(promotion["value"])
    else:
        value = ""
    minimum = promotion.get("min_subtotal") or 0
    return {"name": promotion["name"], "code": promotion.get("code") or "", "kind": kind, "value": value,
            "scope": promotion.get("scope") or "order", "targets": ", ".join(promotion.get("targets") or []),
            "min_subtotal": format_major(minimum, promotion["currency"]) if minimum else "",
            "usage_limit": "" if promotion.get("usage_limit") is None else str(promotion["usage_limit"]),
            "per_customer_limit": "" if promotion.get("per_customer_limit") is None
            else str(promotion["per_customer_limit"]),
            "buy_quantity": str(promotion.get("buy_quantity") or 0),
            "get_quantity": str(promotion.get("get_quantity") or 0),
            "starts_at": _local(promotion.get("starts_at")), "ends_at": _local(promotion.get("ends_at")),
            "priority": str(promotion.get("priority", 100)), "active": bool(promotion.get("active")),
            "exclusive": bool(promotion.get("exclusive"))}


def blank_form() -> dict[str, Any]:
    return {**{name: "" for name in TEXT_FIELDS}, "kind": "percentage", "scope": "order", "priority": "100",
            "buy_quantity": "0", "get_quantity": "0", "active": True, "exclusive": False}


def describe(promotion: Mapping[str, Any]) -> str:
    """One line for the list: ``10 % off``, ``€5.00 off``, ``Free shipping``."""
    text = as_form(promotion)
    kind = promotion["kind"]
    if kind == "free_shipping":
        return "Free shipping"
    if kind == "buy_x_get_y":
        return f"Buy {promotion['buy_quantity']} get {promotion['get_quantity']} at {text['value']} off"
    return f"{text['value']}{'' if kind == 'percentage' else ' ' + promotion['currency']} off"
