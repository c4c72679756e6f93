"""Site settings: key/value pairs (JSON values) the merchant changes at run
time — the active theme and its settings, the staff two-factor switch. This
module is the only writer of the ``site_settings`` table; every change moves
the ``site`` change counter (a database trigger), so every process re-reads
what it caches."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from engine.system.tables import SiteSetting


async def read_prefix(prefix: str) -> dict[str, Any]:
    """Every setting whose key starts with ``prefix``, JSON-decoded (one query)."""
    rows = await SiteSetting.select(SiteSetting.key, SiteSetting.value).where(
        SiteSetting.key.like(prefix + "%")
    ).run()
    return {row["key"]: json.loads(row["value"]) for row in rows}


async def read(key: str, default: Any = None) -> Any:
    """The setting ``key``, JSON-decoded; ``default`` when it is not set."""
    rows = await SiteSetting.select(SiteSetting.value).where(SiteSetting.key == key).run()
    return json.loads(rows[0]["value"]) if rows else default


async def write(key: str, value: Any) -> None:
    """Set ``key`` to ``value`` (anything JSON can hold)."""
    now = datetime.now(timezone.utc)
    encoded = json.dumps(value, sort_keys=True)
    updated = await SiteSetting.update({SiteSetting.value: encoded, SiteSetting.updated_at: now}).where(
        SiteSetting.key == key
    ).returning(SiteSetting.id).run()
    if not updated:
        await SiteSetting.insert(SiteSetting(key=key, value=encoded, updated_at=now)).run()
