"""Warehouses as other domains see them (read-only)."""
from __future__ import annotations

from typing import Any, Sequence

from engine.db.sql import fetch, placeholders


async def warehouses_with_stock(skus: Sequence[str]) -> list[dict[str, Any]]:
    """Every warehouse in priority order (the default one, then the others by
    id) as ``{id, code, name, on_hand}``, ``on_hand`` the units of ``skus``
    it holds (summed; 0 when it holds none)."""
    rows = await fetch("SELECT id, code, name, is_default FROM catalog_warehouses ORDER BY is_default DESC, id")
    held: dict[int, int] = {}
    if skus:
        for row in await fetch(
                f"SELECT s.warehouse, SUM(s.on_hand) AS n FROM catalog_stock s JOIN catalog_variants v "
                f"ON v.id = s.variant WHERE v.sku IN ({placeholders(skus)}) GROUP BY s.warehouse", *skus):
            held[row["warehouse"]] = int(row["n"] or 0)
    return [{"id": r["id"], "code": r["code"], "name": r["name"], "on_hand": held.get(r["id"], 0)} for r in rows]
