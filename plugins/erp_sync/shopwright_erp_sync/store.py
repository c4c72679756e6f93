"""Reads and writes of the plugin's own tables (:mod:`.tables`); the only
writer of them. Every write is idempotent: state is upserted by key, a link
is written once per (kind, store key), a dead letter once per open
(kind, ref) (a repeat bumps ``tries`` and keeps the latest error)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from engine import sdk

from shopwright_erp_sync.tables import ErpDeadLetter, ErpLink, ErpState


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def get_state(key: str) -> str | None:
    row = await ErpState.select(ErpState.value).where(ErpState.key == key).first()
    return row["value"] if row else None


async def set_state(runtime: Any, key: str, value: str) -> None:
    async with sdk.transaction(runtime):
        updated = await ErpState.update({ErpState.value: value}).where(ErpState.key == key).returning(ErpState.id)
        if not updated:
            await ErpState.insert(ErpState(key=key, value=value))


async def get_json(key: str) -> dict[str, Any]:
    value = await get_state(key)
    return json.loads(value) if value else {}


async def set_json(runtime: Any, key: str, value: dict[str, Any]) -> None:
    await set_state(runtime, key, json.dumps(value, sort_keys=True))


async def link_of(kind: str, store_key: str) -> str | None:
    """The ERP id linked to ``store_key``, or None."""
    row = await ErpLink.select(ErpLink.erp_id).where((ErpLink.kind == kind) & (ErpLink.store_key == store_key)).first()
    return row["erp_id"] if row else None


async def save_link(runtime: Any, kind: str, store_key: str, erp_id: str) -> None:
    """Record ``store_key`` → ``erp_id`` (a second save of the same key keeps the first)."""
    async with sdk.transaction(runtime):
        if await link_of(kind, store_key) is None:
            await ErpLink.insert(ErpLink(kind=kind, store_key=store_key, erp_id=erp_id, created_at=_now()))


def _claim_kind(kind: str) -> str:
    return f"claim:{kind}"


async def claim(runtime: Any, kind: str, store_key: str, stale_after: timedelta) -> bool:
    """Take the exclusive right to create ``store_key``'s record in the ERP.

    True when it is taken: no other process holds it, or the other claim is
    older than ``stale_after`` (its holder died mid-push). False while another
    process holds it. Atomic on both databases (a claim is a link row of kind
    ``claim:<kind>``, unique like every link); :func:`release` gives it back."""
    now = _now()
    async with sdk.transaction(runtime):
        taken = await ErpLink.insert(
            ErpLink(kind=_claim_kind(kind), store_key=store_key, erp_id="", created_at=now)
        ).on_conflict(target=(ErpLink.kind, ErpLink.store_key), action="DO NOTHING").returning(ErpLink.id)
        if taken:
            return True
        return bool(await ErpLink.update({ErpLink.created_at: now}).where(
            (ErpLink.kind == _claim_kind(kind)) & (ErpLink.store_key == store_key)
            & (ErpLink.created_at < now - stale_after)).returning(ErpLink.id))


async def release(runtime: Any, kind: str, store_key: str) -> None:
    """Give back a claim taken with :func:`claim`."""
    async with sdk.transaction(runtime):
        await ErpLink.delete().where((ErpLink.kind == _claim_kind(kind)) & (ErpLink.store_key == store_key))


async def count_links(kind: str) -> int:
    return await ErpLink.count().where(ErpLink.kind == kind)


async def dead_letter(runtime: Any, kind: str, ref: str, error: str) -> None:
    """Record that ``ref`` failed for good with ``error`` (kept until a retry succeeds)."""
    now = _now()
    async with sdk.transaction(runtime):
        open_row = await ErpDeadLetter.select(ErpDeadLetter.id, ErpDeadLetter.tries).where(
            (ErpDeadLetter.kind == kind) & (ErpDeadLetter.ref == ref) & (ErpDeadLetter.resolved == False)  # noqa: E712
        ).first()
        if open_row:
            await ErpDeadLetter.update({ErpDeadLetter.error: error[:4000], ErpDeadLetter.tries: open_row["tries"] + 1,
                                        ErpDeadLetter.updated_at: now}).where(ErpDeadLetter.id == open_row["id"])
        else:
            await ErpDeadLetter.insert(ErpDeadLetter(kind=kind, ref=ref, error=error[:4000], tries=1, resolved=False,
                                                     created_at=now, updated_at=now))


async def resolve(runtime: Any, kind: str, refs: list[str]) -> None:
    """Mark the open dead letters of ``refs`` resolved (they went through)."""
    if not refs:
        return
    async with sdk.transaction(runtime):
        for start in range(0, len(refs), 500):
            await ErpDeadLetter.update({ErpDeadLetter.resolved: True, ErpDeadLetter.updated_at: _now()}).where(
                (ErpDeadLetter.kind == kind) & ErpDeadLetter.ref.is_in(refs[start:start + 500])
                & (ErpDeadLetter.resolved == False)  # noqa: E712
            )


async def open_dead_letters(kind: str | None = None) -> list[dict[str, Any]]:
    """The dead letters not yet resolved, oldest first."""
    query = ErpDeadLetter.select().where(ErpDeadLetter.resolved == False)  # noqa: E712
    if kind:
        query = query.where(ErpDeadLetter.kind == kind)
    return await query.order_by(ErpDeadLetter.id)


async def links_by_erp_id(kind: str, erp_ids: list[str]) -> dict[str, str]:
    """``{erp id: store key}`` for the ``erp_ids`` that are linked."""
    found: dict[str, str] = {}
    for start in range(0, len(erp_ids), 500):
        rows = await ErpLink.select(ErpLink.store_key, ErpLink.erp_id).where(
            (ErpLink.kind == kind) & ErpLink.erp_id.is_in(erp_ids[start:start + 500]))
        found.update({row["erp_id"]: row["store_key"] for row in rows})
    return found


async def save_links(runtime: Any, kind: str, pairs: dict[str, str]) -> None:
    """Record many ``{store key: erp id}`` links at once; keys already linked are kept."""
    keys = list(pairs)
    async with sdk.transaction(runtime):
        known: set[str] = set()
        for start in range(0, len(keys), 500):
            rows = await ErpLink.select(ErpLink.store_key).where(
                (ErpLink.kind == kind) & ErpLink.store_key.is_in(keys[start:start + 500]))
            known.update(row["store_key"] for row in rows)
        now = _now()
        new = [ErpLink(kind=kind, store_key=key, erp_id=pairs[key], created_at=now) for key in keys if key not in known]
        for start in range(0, len(new), 500):
            await ErpLink.insert(*new[start:start + 500])
