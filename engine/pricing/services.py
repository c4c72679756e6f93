"""What the cart, checkout and storefront ask of pricing besides the
pipeline (:mod:`engine.pricing.pipeline`): the promotions and vouchers side.

The built-in promotions (:mod:`engine.pricing.promotions`) make their
adjustments through the ``pricing_adjustments`` hook like any plugin; this
module is how other domains learn why a voucher does not apply, count an
order's promotion uses, and how long a priced cart stays valid.
"""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping, Sequence

from engine.errors import Conflict
from engine.pricing import promotions
from engine.protocols import Adjustment, PriceableLine


def vouchers_enabled(runtime) -> bool:
    """Whether the shop takes voucher codes (the core promotions are active)."""
    return runtime.host.is_active(promotions.SOURCE)


@contextlib.contextmanager
def promotions_read_once() -> Iterator[None]:
    """Within the block, the promotion rules are read from the database once
    (pricing a cart several times in one request)."""
    with promotions.rules_read_once():
        yield


async def voucher_rejections(lines: Sequence[PriceableLine], context: Mapping[str, Any]) -> dict[str, str]:
    """Why each voucher in ``context["vouchers"]`` that does not apply is
    refused: upper-case code → a sentence for the shopper."""
    evaluation = await promotions.adjustments_for(lines, context)
    return {code.upper(): reason for code, reason in evaluation.rejected.items()}


async def record_promotions_in_tx(adjustments: Sequence[Adjustment], order_id: int, customer: int | None,
                                  email: str) -> list[str]:
    """Inside the order transaction: count one use of each promotion behind
    ``adjustments``; the codes or names used. :class:`Conflict` when a limit
    was reached meanwhile (the transaction must roll back)."""
    try:
        return await promotions.record_usage(adjustments, order_id, customer, email)
    except promotions.VoucherError as exc:
        raise Conflict(str(exc), {"vouchers": str(exc)}, title="Voucher no longer available") from None


async def reuse_until(vouchers: Iterable[str], now: datetime | None = None) -> datetime | None:
    """When a price computed now with ``vouchers`` may change because a
    promotion starts or ends (None: no time limit)."""
    return await promotions.reuse_until(vouchers, now)
