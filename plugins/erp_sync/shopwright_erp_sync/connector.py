"""The connector protocol: what the sync needs of an ERP, whichever it is.

A connector pulls products (with their variants, prices and on-hand stock)
changed since a cursor, pushes a paid order as a sale order with its
customer, and reports its status. The sync (:mod:`shopwright_erp_sync.sync`)
only speaks this protocol; :mod:`.odoo` and :mod:`.csv_folder` implement it.

Contracts every connector keeps:

- Money is integer minor units of the store's currency (``price``); a
  connector converts the ERP's own representation exactly (Decimal), never
  through a float.
- ``pull(cursor)`` returns every product touched after ``cursor`` (the
  ``cursor`` of the previous result; None: everything) and a new cursor that
  covers what it returned. A product the ERP cannot deliver is returned in
  ``faults`` (with the ERP's message) instead of failing the whole pull.
  A product the ERP archived since the cursor is returned too, with
  ``active`` False, so the store can take it off sale.
- ``push_order(order)`` is idempotent on the ERP side: pushing the same order
  number twice finds the first sale order (by the order number stored in the
  ERP) and returns its id instead of creating a second one.
- :class:`ErpUnavailable` means "try again later" (network error, timeout,
  5xx, ERP in maintenance); :class:`ErpFault` means the ERP refused this
  request (a JSON-RPC fault, a bad row): retrying the same thing will not help.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Mapping, Protocol, runtime_checkable

from engine.money import currency_exponent


class ErpError(Exception):
    """Base of the connector errors."""


class ErpUnavailable(ErpError):
    """The ERP could not be reached or answered a server error: retryable."""


class ErpFault(ErpError):
    """The ERP refused the request (its message is ``str(exc)``): not retryable as is."""


@dataclass(frozen=True)
class ErpVariant:
    """One sellable variant: ``ref`` is the ERP's id of it, ``price`` minor units,
    ``on_hand`` None when the ERP did not say (stock left alone)."""

    ref: str
    sku: str
    price: int
    options: Mapping[str, str] = field(default_factory=dict)
    on_hand: int | None = None


@dataclass(frozen=True)
class ErpProduct:
    """One product (an ERP template) with its variants. ``active`` False: the
    ERP archived it (the store takes it off sale, when the ERP owns ``status``)."""

    ref: str
    slug: str
    title: str
    description: str = ""
    variants: tuple[ErpVariant, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class ErpFaultRecord:
    """A product the ERP could not deliver: its ref and the ERP's message."""

    ref: str
    error: str


@dataclass
class PullResult:
    """What one pull returned; ``cursor`` is None when nothing changed (keep the old one)."""

    products: list[ErpProduct] = field(default_factory=list)
    faults: list[ErpFaultRecord] = field(default_factory=list)
    cursor: str | None = None


@runtime_checkable
class Connector(Protocol):
    """An ERP as the sync sees it (see the module docstring for the contracts)."""

    name: str

    async def pull(self, cursor: str | None) -> PullResult: ...

    async def pull_refs(self, refs: list[str]) -> PullResult:
        """The products ``refs`` (as a pull gave them, in ``faults`` too), whatever
        their write date; ``cursor`` of the result is None."""
        ...

    async def push_order(self, order: Any) -> str:
        """Push ``order`` (an :class:`engine.protocols.OrderSnapshot`) with its
        customer; return the ERP's id of the sale order (found or created)."""
        ...

    async def cancel_order(self, erp_id: str, number: str, reason: str) -> None:
        """Cancel the ERP's sale order ``erp_id`` (order ``number`` was cancelled
        in the store); cancelling it again changes nothing."""
        ...

    async def note_refund(self, erp_id: str, number: str, amount: int, currency: str, key: str) -> None:
        """Record on sale order ``erp_id`` that ``amount`` (minor units) was
        refunded in the store; ``key`` names this refund (one note per key)."""
        ...

    async def push_stock(self, sku: str, on_hand: int) -> None:
        """Set the ERP's on-hand quantity of ``sku`` (a change made in the store)."""
        ...

    async def status(self) -> dict[str, Any]:
        """``{"ok": bool, "detail": str}``: whether the ERP answers now."""
        ...

    async def aclose(self) -> None: ...


def to_minor(value: Any, currency: str) -> int:
    """An ERP amount (a JSON number, possibly a float, or a decimal string) as
    integer minor units of ``currency``: the value is read as a Decimal from its
    shortest string form (``repr`` of the float: ``12.3`` → ``Decimal("12.3")``,
    never the binary expansion), then rounded half-even to the currency's
    exponent. ValueError for anything that is not a finite number."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an amount: {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    scaled = amount.scaleb(currency_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def to_major(amount: int, currency: str) -> float:
    """Minor units as the float an ERP's JSON wants (exact for any amount below
    2⁵³ minor units, as the decimal string round-trips through the float)."""
    return float(Decimal(amount).scaleb(-currency_exponent(currency)))
