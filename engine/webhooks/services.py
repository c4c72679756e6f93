"""Webhook subscriptions and deliveries as the admin API and the CLI see them.

Secrets are generated here (``whsec_...``), stored encrypted and returned only
by :func:`create_subscription` and :func:`rotate_secret`. Lists page newest
first with opaque cursors (``next_cursor``).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Mapping
from urllib.parse import urlsplit

from engine.db.cursor import decode_cursor, encode_cursor
from engine.db.sql import fetch, fetchone, fetchval
from engine.errors import Conflict, InvalidInput, NotFound
from engine.secrets import SecretBox
from engine.webhooks import delivery as sending
from engine.webhooks.events import check_event_types
from engine.webhooks.signing import new_secret

MAX_URL_LENGTH = 2000
#: Ids are 32-bit serials; a larger number names nothing.
MAX_ID = 2**31 - 1
_CURSOR_SORT = "id_desc"


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


async def check_url(runtime, url: Any) -> str:
    """An absolute http(s) URL with a host (and a public one when
    ``webhooks.block_private_networks`` is on)."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("url: is required", {"url": "is required"})
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput("url: too long", {"url": f"at most {MAX_URL_LENGTH} characters"})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidInput("url: not a valid URL", {"url": "not a valid URL"}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url: must be an absolute http:// or https:// URL",
                           {"url": "must be an absolute http:// or https:// URL"})
    if runtime.settings.webhooks.block_private_networks:
        try:
            await sending.check_public_host(url)
        except ValueError as exc:
            raise InvalidInput(f"url: {exc}", {"url": str(exc)}) from None
    return url


def _types(values: Any) -> list[str]:
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise InvalidInput("event_types: must be a list of event types", {"event_types": "must be a list of strings"})
    try:
        return check_event_types(list(values))
    except ValueError as exc:
        raise InvalidInput(f"event_types: {exc}", {"event_types": str(exc)}) from None


def _text(value: Any, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidInput(f"{field}: at most {max_length} characters", {field: f"at most {max_length} characters"})
    return value.strip()


def subscription_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """The public view of a subscription (never its secrets)."""
    if not row["active"]:
        status = "disabled"
    elif row["paused_at"] is not None:
        status = "paused"
    else:
        status = "active"
    return {
        "id": row["id"],
        "url": row["url"],
        "description": row["description"],
        "event_types": json.loads(row["event_types"]),
        "ordered": bool(row["ordered"]),
        "active": bool(row["active"]),
        "status": status,
        "paused_at": _iso(row["paused_at"]),
        "paused_reason": row["paused_reason"] or None,
        "consecutive_failures": row["consecutive_failures"],
        "last_success_at": _iso(row["last_success_at"]),
        "last_failure_at": _iso(row["last_failure_at"]),
        "secret_rotated_at": _iso(row["secret_rotated_at"]),
        "previous_secret_expires_at": _iso(row["previous_secret_expires_at"]) if row["previous_secret"] else None,
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


async def _row(subscription_id: int) -> dict:
    row = None
    if 0 < subscription_id <= MAX_ID:
        row = await fetchone("SELECT * FROM webhook_subscriptions WHERE id = {}", subscription_id)
    if row is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return row


async def create_subscription(runtime, data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Create a subscription ``{url, event_types, description?, ordered?, active?}``;
    returns its view and its new secret (shown this once). Only events that
    happen after this call are delivered to it."""
    url = await check_url(runtime, data.get("url"))
    kinds = _types(data.get("event_types"))
    description = _text(data.get("description"), "description", 500)
    secret = new_secret()
    at = sending.now()
    async with runtime.database.transaction():
        start = await fetchval("SELECT COALESCE(MAX(id), 0) FROM outbox_events")
        row = await fetchone(
            "INSERT INTO webhook_subscriptions (url, description, event_types, ordered, active, secret, paused_reason, "
            "consecutive_failures, start_event_id, created_at, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, '', 0, {}, {}, {}) RETURNING *",
            url, description, json.dumps(kinds), bool(data.get("ordered", False)), bool(data.get("active", True)),
            SecretBox(runtime.settings.secret_key).encrypt(secret), int(start or 0), at, at)
    return subscription_json(row), secret


async def list_subscriptions(cursor: str | None = None, limit: int = 50) -> tuple[list[dict], str | None]:
    limit = max(1, min(int(limit), 200))
    where, args = "", []
    if cursor:
        where, args = "WHERE id < {}", decode_cursor(cursor, _CURSOR_SORT, (int,))
    rows = await fetch(f"SELECT * FROM webhook_subscriptions {where} ORDER BY id DESC LIMIT {{}}", *args, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return [subscription_json(r) for r in rows], (encode_cursor(_CURSOR_SORT, [rows[-1]["id"]]) if more else None)


async def get_subscription(subscription_id: int) -> dict[str, Any]:
    return subscription_json(await _row(subscription_id))


async def update_subscription(runtime, subscription_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Change ``url``, ``event_types``, ``description``, ``ordered`` or
    ``active``. Re-activating a disabled subscription schedules its pending
    deliveries."""
    current = await _row(subscription_id)
    values: dict[str, Any] = {}
    if "url" in changes:
        values["url"] = await check_url(runtime, changes["url"])
    if "event_types" in changes:
        values["event_types"] = json.dumps(_types(changes["event_types"]))
    if "description" in changes:
        values["description"] = _text(changes["description"], "description", 500)
    for flag in ("ordered", "active"):
        if flag in changes:
            if not isinstance(changes[flag], bool):
                raise InvalidInput(f"{flag}: must be true or false", {flag: "must be true or false"})
            values[flag] = changes[flag]
    if values:
        values["updated_at"] = sending.now()
        assignments = ", ".join(f"{column} = {{}}" for column in values)
        await fetch(f"UPDATE webhook_subscriptions SET {assignments} WHERE id = {{}}", *values.values(),
                    subscription_id)
    if values.get("active") and not current["active"]:
        await sending.wake_subscription(runtime, subscription_id)
    return await get_subscription(subscription_id)


async def delete_subscription(subscription_id: int) -> None:
    """Delete a subscription with its deliveries and their log."""
    await _row(subscription_id)
    await fetch("DELETE FROM webhook_subscriptions WHERE id = {}", subscription_id)


async def rotate_secret(runtime, subscription_id: int, overlap_seconds: int | None = None) -> tuple[dict, str]:
    """Give the subscription a new secret. For ``overlap_seconds`` (default
    ``webhooks.rotation_overlap_seconds``) requests are signed with the new
    and the old secret; 0 drops the old one at once."""
    current = await _row(subscription_id)
    overlap = runtime.settings.webhooks.rotation_overlap_seconds if overlap_seconds is None else overlap_seconds
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap <= 30 * 86400:
        raise InvalidInput("overlap_seconds: must be 0 to 2592000", {"overlap_seconds": "must be 0 to 2592000"})
    secret = new_secret()
    at = sending.now()
    box = SecretBox(runtime.settings.secret_key)
    previous, expires = (current["secret"], at + timedelta(seconds=overlap)) if overlap else (None, None)
    await fetch("UPDATE webhook_subscriptions SET secret = {}, previous_secret = {}, previous_secret_expires_at = {}, "
                "secret_rotated_at = {}, updated_at = {} WHERE id = {}",
                box.encrypt(secret), previous, expires, at, at, subscription_id)
    return await get_subscription(subscription_id), secret


async def resume(runtime, subscription_id: int) -> dict[str, Any]:
    """Un-pause: reset the failure count and send the pending deliveries
    (in a new retry round). Resuming a subscription that is not paused
    changes nothing."""
    current = await _row(subscription_id)
    if current["paused_at"] is not None:
        await fetch("UPDATE webhook_subscriptions SET paused_at = NULL, paused_reason = '', consecutive_failures = 0, "
                    "updated_at = {} WHERE id = {}", sending.now(), subscription_id)
        if current["active"]:
            await sending.wake_subscription(runtime, subscription_id)
    return await get_subscription(subscription_id)


# ---------------------------------------------------------------- deliveries
def delivery_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "subscription_id": row["subscription"],
        "event_id": sending.event_key(row["event_id"]),
        "event_type": row["event_type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": _iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "first_attempt_at": _iso(row["first_attempt_at"]),
        "last_attempt_at": _iso(row["last_attempt_at"]),
        "delivered_at": _iso(row["delivered_at"]),
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "created_at": _iso(row["created_at"]),
    }


async def list_deliveries(subscription_id: int | None = None, status: str | None = None,
                          cursor: str | None = None, limit: int = 50) -> tuple[list[dict], str | None]:
    """Deliveries, newest first, optionally of one subscription and/or in one status."""
    limit = max(1, min(int(limit), 200))
    clauses, args = [], []
    if subscription_id is not None:
        await _row(subscription_id)
        clauses.append("subscription = {}")
        args.append(subscription_id)
    if status:
        clauses.append("status = {}")
        args.append(status)
    if cursor:
        clauses.append("id < {}")
        args.extend(decode_cursor(cursor, _CURSOR_SORT, (int,)))
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = await fetch(f"SELECT * FROM webhook_deliveries {where} ORDER BY id DESC LIMIT {{}}", *args, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return [delivery_json(r) for r in rows], (encode_cursor(_CURSOR_SORT, [rows[-1]["id"]]) if more else None)


async def get_delivery(delivery_id: int) -> dict[str, Any]:
    """A delivery with its payload and every attempt, oldest first."""
    row = None
    if 0 < delivery_id <= MAX_ID:
        row = await fetchone("SELECT * FROM webhook_deliveries WHERE id = {}", delivery_id)
    if row is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    attempts = await fetch("SELECT number, started_at, duration_ms, status_code, error, response_excerpt "
                           "FROM webhook_attempts WHERE delivery = {} ORDER BY id", delivery_id)
    return {**delivery_json(row), "payload": json.loads(row["body"]),
            "attempt_log": [{**a, "started_at": _iso(a["started_at"])} for a in attempts]}


async def redeliver(runtime, delivery_id: int) -> dict[str, Any]:
    """Send a delivery again now, whatever its status (a new retry round; the
    receiver sees the same event id). Refused while an attempt is in flight
    or while the subscription is paused or disabled."""
    row = None
    if 0 < delivery_id <= MAX_ID:
        row = await fetchone("SELECT d.id, s.active, s.paused_at FROM webhook_deliveries d "
                             "JOIN webhook_subscriptions s ON s.id = d.subscription WHERE d.id = {}", delivery_id)
    if row is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    if not row["active"]:
        raise Conflict("The subscription is disabled; activate it first.")
    if row["paused_at"] is not None:
        raise Conflict("The subscription is paused; resume it first.")
    at = sending.now()
    updated = await fetchone(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = {}, first_attempt_at = NULL, "
        "round_attempts = 0, delivered_at = NULL WHERE id = {} AND (locked_until IS NULL OR locked_until < {}) "
        "RETURNING id", at, delivery_id, at)
    if updated is None:
        raise Conflict("An attempt of this delivery is in progress; try again shortly.")
    await sending.schedule(runtime, delivery_id)
    return await get_delivery(delivery_id)


async def stats() -> dict[str, int]:
    """Counts for the jobs overview."""
    pending = await fetchval("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
    failed = await fetchval("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'")
    paused = await fetchval("SELECT COUNT(*) FROM webhook_subscriptions WHERE paused_at IS NOT NULL")
    return {"pending_deliveries": int(pending or 0), "failed_deliveries": int(failed or 0),
            "paused_subscriptions": int(paused or 0)}
