"""`shopwright export orders FILE`: every placed order, CSV or JSON Lines."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from engine.orders.exporter import export_orders


async def test_export_orders_csv_and_jsonl(shop, place, tmp_path):
    first = await place(("TEE-1", 2), ("CAP-1", 1))
    second = await place(("CAP-1", 3))
    csv_path = tmp_path / "orders.csv"
    assert await export_orders(csv_path) == 2
    rows = list(csv.DictReader(csv_path.open()))
    assert [(r["number"], r["line_sku"], r["line_quantity"]) for r in rows] == [
        (first["number"], "TEE-1", "2"), (first["number"], "CAP-1", "1"), (second["number"], "CAP-1", "3")]
    assert rows[0]["total"] == str(first["totals"]["total"]) and rows[0]["status"] == "pending_payment"

    jsonl_path = tmp_path / "orders.jsonl"
    assert await export_orders(jsonl_path) == 2
    orders = [json.loads(line) for line in jsonl_path.read_text().splitlines()]
    assert [o["number"] for o in orders] == [first["number"], second["number"]]
    assert orders[0]["lines"][0] == {"sku": "TEE-1", "title": orders[0]["lines"][0]["title"], "quantity": 2,
                                     "unit_price": 2500, "total": 5000}
    assert orders[1]["shipping_address"]["country"]


async def test_export_orders_command(shop, place, tmp_path):
    order = await place()
    target = tmp_path / "out.csv"
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": shop.runtime.settings.database_url,
           "SHOPWRIGHT_SECRET_KEY": shop.runtime.settings.secret_key, "SHOPWRIGHT_CONFIG": os.devnull}
    result = subprocess.run([sys.executable, "-m", "engine.cli", "export", "orders", str(target)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "exported 1 order(s)" in result.stdout
    assert order["number"] in target.read_text()
