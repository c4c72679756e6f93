"""The category tree: read once per call (categories are few), built in memory."""
from __future__ import annotations

from typing import Any

from engine.db.sql import fetch

_COLUMNS = "id, parent, slug, name, description, position, seo_title, seo_description"


async def _all_categories() -> list[dict]:
    return await fetch(f"SELECT {_COLUMNS} FROM catalog_categories ORDER BY position, name, id")


def _children_index(rows: list[dict]) -> dict[int | None, list[dict]]:
    children: dict[int | None, list[dict]] = {}
    ids = {row["id"] for row in rows}
    for row in rows:
        parent = row["parent"] if row["parent"] in ids else None
        children.setdefault(parent, []).append(row)
    return children


async def category_tree() -> list[dict[str, Any]]:
    """The whole tree: ``[{id, slug, name, position, children: [...]}]``, each
    level ordered by position then name. One query."""
    rows = await _all_categories()
    children = _children_index(rows)

    def build(parent: int | None, seen: frozenset[int]) -> list[dict]:
        nodes = []
        for row in children.get(parent, []):
            if row["id"] in seen:  # a cycle made by hand in the database
                continue
            nodes.append({
                "id": row["id"], "slug": row["slug"], "name": row["name"], "position": row["position"],
                "children": build(row["id"], seen | {row["id"]}),
            })
        return nodes

    return build(None, frozenset())


async def get_category(slug: str) -> dict[str, Any] | None:
    """One category with its ``breadcrumb`` (root first, itself last, each
    ``{slug, name}``), ``parent`` slug and direct ``children``. None if unknown."""
    rows = await _all_categories()
    by_id = {row["id"]: row for row in rows}
    current = next((row for row in rows if row["slug"] == slug), None)
    if current is None:
        return None
    trail, node, seen = [], current, set()
    while node is not None and node["id"] not in seen:
        seen.add(node["id"])
        trail.append({"slug": node["slug"], "name": node["name"]})
        node = by_id.get(node["parent"])
    children = _children_index(rows).get(current["id"], [])
    parent = by_id.get(current["parent"])
    return {
        "id": current["id"],
        "slug": current["slug"],
        "name": current["name"],
        "description": current["description"],
        "position": current["position"],
        "seo_title": current["seo_title"],
        "seo_description": current["seo_description"],
        "parent": parent["slug"] if parent else None,
        "breadcrumb": list(reversed(trail)),
        "children": [{"id": c["id"], "slug": c["slug"], "name": c["name"]} for c in children],
    }


async def descendant_ids(slug: str) -> list[int] | None:
    """Ids of the category ``slug`` and every category below it; None if unknown."""
    rows = await _all_categories()
    root = next((row for row in rows if row["slug"] == slug), None)
    if root is None:
        return None
    children = _children_index(rows)
    found, stack = [], [root["id"]]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        stack.extend(child["id"] for child in children.get(current, []))
    return found
