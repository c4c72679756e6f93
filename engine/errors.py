"""The errors domain services raise, for every caller: the JSON API, the
storefront, the admin and the CLI.

Each carries an HTTP status, a short title, a problem ``type``, a detail
sentence for the shopper, the merchant or the client developer and, for
validation, per-field ``errors``. The HTTP layer turns them into
``application/problem+json`` (:mod:`engine.web.problems`) or shows ``detail``
and the field errors on a form; the CLI prints ``detail`` as one line. Domain
code never raises HTTP errors and never imports the HTTP layer.
"""
from __future__ import annotations

from typing import Mapping


class ShopError(Exception):
    """Base of every service error. ``str(error)`` is ``detail``."""

    status = 422
    title = "Request refused"
    type = "about:blank"

    def __init__(self, detail: str, errors: Mapping[str, str] | None = None, title: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = dict(errors or {})
        if title is not None:
            self.title = title
        if status is not None:
            self.status = status


class NotFound(ShopError, LookupError):
    """A referenced order, cart, product, variant, category, ... does not exist."""

    status = 404
    title = "Not found"


class InvalidInput(ShopError, ValueError):
    """Bad input: ``errors`` maps each field to its message."""

    status = 422
    title = "Validation failed"


class InvalidQuery(InvalidInput):
    """A search or listing parameter is invalid (unknown sort, bad number, ...)."""


class InvalidCursor(InvalidInput):
    """A pagination cursor was not made by this server for this sort order."""

    status = 400
    title = "Invalid cursor"
    type = "/problems/invalid-cursor"


class Conflict(ShopError):
    """The change conflicts with the stored state (a duplicate, reserved stock, ...)."""

    status = 409
    title = "Conflict"


class OutOfStock(ShopError):
    """Not enough stock; ``quantity_available`` says how many could be had."""

    status = 409
    title = "Out of stock"
    type = "/problems/out-of-stock"
    quantity_available = 0


class IllegalTransition(Conflict):
    title = "Illegal order transition"
    type = "/problems/illegal-transition"


class IdempotencyMismatch(ShopError):
    status = 422
    title = "Idempotency-Key reused"
    type = "/problems/idempotency-key-reused"


class PluginFailure(ShopError):
    """A plugin (pricing, tax, shipping, payment) failed or missed its deadline."""

    status = 502
    title = "Plugin error"
    type = "/problems/plugin-error"

    def __init__(self, plugin: str, detail: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(detail, errors)
        self.plugin = plugin


class OrderRefused(ShopError):
    """A plugin refused an order while it was being placed (raised from the
    ``orders_placing`` hook, e.g. a gift card without enough balance).
    Nothing of the order is written; ``detail`` and the field ``errors`` are
    shown to the shopper as given."""

    status = 409
    title = "Order refused"
    type = "/problems/order-refused"
