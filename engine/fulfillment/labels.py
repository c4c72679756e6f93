"""Shipping labels: from a label provider (``fulfillment_label_providers``
call site) or the core's generic one."""
from __future__ import annotations

import asyncio
from typing import Any

import structlog

from engine.fulfillment.documents import generic_label
from engine.plugins import HookError
from engine.protocols import LabelProvider, ShipmentDocument

log = structlog.get_logger("shopwright.fulfillment")

#: the largest label a provider may return
MAX_LABEL_BYTES = 5 * 1024 * 1024


def _providers(plugin: str, items: Any) -> list[LabelProvider]:
    if not isinstance(items, (list, tuple)) or not all(isinstance(p, LabelProvider) for p in items):
        raise TypeError(f"returned {items!r}, not a list of LabelProvider")
    return list(items)


def _pdf(plugin: str, answer: Any) -> bytes:
    if not isinstance(answer, (bytes, bytearray)) or not bytes(answer[:5]) == b"%PDF-" \
            or len(answer) > MAX_LABEL_BYTES:
        raise TypeError(f"label() returned {type(answer).__name__}, not the bytes of a PDF of at most 5 MB")
    return bytes(answer)


async def label_pdf(runtime, document: ShipmentDocument) -> tuple[bytes, str]:
    """``(PDF bytes, who made it)``: the first label provider's label (in
    hook order), else the core's generic label (``"core"``). A provider that
    fails is skipped with a warning (the hook's contract)."""
    host = runtime.host
    answers = await host.hook("fulfillment_label_providers", accept=_providers)
    for plugin, providers in answers:
        for provider in providers:
            try:
                made = await host.call_provider("fulfillment_label_providers", plugin, provider.label, document,
                                                accept=_pdf)
            except HookError as exc:
                log.warning("label.provider_failed", plugin=plugin, provider=provider.id, reason=exc.reason)
                continue
            if made is not None:
                return made, plugin
    return await asyncio.to_thread(generic_label, document), "core"
