"""Export orders to CSV (one row per order line) or JSON Lines (one order per line).

Streams with keyset pagination over order ids, so memory stays flat however
many orders there are. Money columns are integer minor units of ``currency``.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from engine.orders.tables import Order, OrderLine

BATCH = 500
CSV_COLUMNS = [
    "number", "status", "placed_at", "email", "currency", "subtotal", "discount_total", "shipping_total",
    "tax_total", "total", "paid_amount", "refunded_amount", "shipping_method", "payment_method",
    "shipping_country", "line_sku", "line_title", "line_quantity", "line_unit_price", "line_total",
]


async def _orders():
    last_id = 0
    while True:
        batch = await (
            Order.select().where((Order.id > last_id) & Order.number.is_not_null()).order_by(Order.id).limit(BATCH).run()
        )
        if not batch:
            return
        lines = await OrderLine.select().where(OrderLine.order_id.is_in([o["id"] for o in batch])).order_by(
            OrderLine.order_id, OrderLine.position).run()
        by_order: dict[int, list[dict]] = {}
        for line in lines:
            by_order.setdefault(line["order_id"], []).append(line)
        for order in batch:
            yield order, by_order.get(order["id"], [])
        last_id = batch[-1]["id"]


def _order_json(order: dict, lines: list[dict]) -> dict:
    return {
        "number": order["number"], "status": order["status"], "placed_at": str(order["placed_at"]),
        "email": order["email"], "currency": order["currency"],
        "totals": {key: order[key] for key in ("subtotal", "discount_total", "shipping_total", "tax_total", "total",
                                                "paid_amount", "refunded_amount")},
        "shipping_address": json.loads(order["shipping_address"] or "{}"),
        "billing_address": json.loads(order["billing_address"] or "{}"),
        "shipping_method": order["shipping_method"], "payment_method": order["payment_method"],
        "lines": [{"sku": l["sku"], "title": l["title"], "quantity": l["quantity"], "unit_price": l["unit_price"],
                   "total": l["total"]} for l in lines],
    }


async def export_orders(path: str | Path, fmt: str | None = None) -> int:
    """Write every placed order to ``path``; returns the number of orders."""
    path = Path(path)
    fmt = fmt or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv")
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle) if fmt == "csv" else None
        if writer:
            writer.writerow(CSV_COLUMNS)
        async for order, lines in _orders():
            count += 1
            data = _order_json(order, lines)
            if writer is None:
                handle.write(json.dumps(data, ensure_ascii=False) + "\n")
                continue
            head = [data["number"], data["status"], data["placed_at"], data["email"], data["currency"],
                    *(data["totals"][k] for k in ("subtotal", "discount_total", "shipping_total", "tax_total", "total",
                                                  "paid_amount", "refunded_amount")),
                    data["shipping_method"], data["payment_method"], data["shipping_address"].get("country", "")]
            for line in data["lines"] or [{"sku": "", "title": "", "quantity": "", "unit_price": "", "total": ""}]:
                writer.writerow([*head, line["sku"], line["title"], line["quantity"], line["unit_price"], line["total"]])
    return count
