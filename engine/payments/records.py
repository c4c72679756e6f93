"""Payment records and gateway calls.

Gateway calls (``start``, ``capture``, ``refund``, ``cancel``) may do network
I/O, so they never run inside a database transaction: the caller checks the
order, calls the gateway under ``checkout.payment_timeout_seconds``, then
records the result in a transaction that re-checks the order. A gateway that
raises or times out becomes :class:`engine.errors.PluginFailure`
(HTTP 502 naming the plugin) and nothing is recorded.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Mapping

import structlog

from engine.db.sql import fetch, fetchone
from engine.errors import Conflict, PluginFailure
from engine.payments.gateways import GatewayEntry, find_gateway
from engine.protocols import GatewayCapabilities, PaymentAction

log = structlog.get_logger("shopwright.payments")


def _now() -> datetime:
    return datetime.now(UTC)


async def create(order_id: int, entry: GatewayEntry, amount: int, currency: str) -> dict[str, Any]:
    """A pending payment for an order (inside the order transaction); the new row."""
    now = _now()
    return await fetchone(
        "INSERT INTO payments (order_id, gateway, plugin, reference, status, amount, captured_amount, "
        "refunded_amount, currency, action, error, created_at, updated_at) "
        "VALUES ({}, {}, {}, NULL, 'pending', {}, 0, 0, {}, {}, '', {}, {}) RETURNING *",
        order_id, entry.id, entry.plugin, amount, currency, "{}", now, now)


async def latest(order_id: int) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM payments WHERE order_id = {} ORDER BY id DESC", order_id)


async def latest_of_plugin(order_id: int, plugin: str) -> dict[str, Any] | None:
    """The order's newest payment through ``plugin`` (the shopper may have
    switched to another method since: a return from the first still counts)."""
    return await fetchone("SELECT * FROM payments WHERE order_id = {} AND plugin = {} ORDER BY id DESC",
                          order_id, plugin)


async def is_current(payment: Mapping[str, Any]) -> bool:
    """Whether ``payment`` is its order's latest (not one the shopper switched away from)."""
    newest = await latest(payment["order_id"])
    return newest is not None and newest["id"] == payment["id"]


async def get(payment_id: int) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM payments WHERE id = {}", payment_id)


async def stale_open(before: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Payments started at a provider and still pending since before
    ``before`` (reconciliation; a cancelled order's payment is cancelled)."""
    return await fetch("SELECT * FROM payments WHERE status = 'pending' AND reference IS NOT NULL "
                       "AND updated_at < {} ORDER BY id LIMIT {}", before, limit)


async def failed_for_email(email: str, since: datetime | None = None) -> int:
    """How many payments of orders placed with ``email`` (any case) failed
    (the provider refused them), created at or after ``since`` when given."""
    sql = ("SELECT COUNT(*) AS n FROM payments p JOIN orders o ON o.id = p.order_id "
           "WHERE LOWER(o.email) = {} AND p.status = 'failed'")
    args: list[Any] = [email.strip().lower()]
    if since is not None:
        sql += " AND p.created_at >= {}"
        args.append(since)
    row = await fetchone(sql, *args)
    return int(row["n"] or 0)


async def by_reference(plugin: str, reference: str) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM payments WHERE plugin = {} AND reference = {} ORDER BY id DESC",
                          plugin, reference)


async def update(payment_id: int, **values: Any) -> dict[str, Any] | None:
    """Set ``values`` (and ``updated_at``) on a payment; the updated row."""
    values["updated_at"] = _now()
    assignments = ", ".join(f"{column} = {{}}" for column in values)
    return await fetchone(f"UPDATE payments SET {assignments} WHERE id = {{}} RETURNING *", *values.values(),
                          payment_id)


def action_json(action: PaymentAction) -> str:
    return json.dumps({"kind": action.kind, "reference": action.reference, "data": dict(action.data or {})},
                      default=str)


def capabilities(entry: GatewayEntry) -> GatewayCapabilities:
    """What the gateway declares it can do (the defaults when it declares nothing)."""
    declared = getattr(entry.gateway, "capabilities", None)
    return declared if isinstance(declared, GatewayCapabilities) else GatewayCapabilities()


def capabilities_json(caps: GatewayCapabilities) -> dict[str, Any]:
    return {"authorize_then_capture": caps.authorize_then_capture, "partial_capture": caps.partial_capture,
            "multiple_capture": caps.multiple_capture, "void": caps.void, "refund": caps.refund,
            "partial_refund": caps.partial_refund, "multiple_refund": caps.multiple_refund, "flow": caps.flow}


async def gateway_for(runtime, payment: dict[str, Any]) -> GatewayEntry:
    entry = await find_gateway(runtime, payment["gateway"])
    if entry is None:
        raise Conflict(f"The payment method {payment['gateway']!r} is not available (its plugin "
                       f"{payment['plugin']!r} is disabled or not installed).",
                       title="Payment method unavailable")
    return entry


async def call_gateway(runtime, entry: GatewayEntry, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """Run one gateway call under the payment deadline, counted by gateway,
    call and outcome (``shopwright_payment_gateway_calls_total``)."""
    deadline = runtime.settings.checkout.payment_timeout_seconds
    calls = runtime.metrics.payment_calls
    try:
        result = await asyncio.wait_for(call(), deadline)
    except TimeoutError:
        calls.labels(entry.id, what, "timeout").inc()
        log.error("payment.timeout", plugin=entry.plugin, gateway=entry.id, call=what)
        raise PluginFailure(entry.plugin, f"The payment provider ({entry.plugin}) did not answer the {what} "
                                          f"within {deadline}s; nothing was changed.") from None
    except Exception as exc:
        calls.labels(entry.id, what, "failed").inc()
        log.exception("payment.failed", plugin=entry.plugin, gateway=entry.id, call=what)
        raise PluginFailure(entry.plugin, f"The payment provider ({entry.plugin}) refused the {what}: "
                                          f"{type(exc).__name__}: {exc}") from exc
    calls.labels(entry.id, what, "ok").inc()
    return result
