"""Errors of the cart, checkout, order and payment services.

Each carries an HTTP status, a short title, a detail sentence for the
shopper or the client developer and, for validation, per-field ``errors``.
The JSON API turns them into ``application/problem+json``; the storefront
shows ``detail`` and the field errors on the form.
"""
from __future__ import annotations

from typing import Mapping


class ShopError(Exception):
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


class NotFound(ShopError):
    status = 404
    title = "Not found"


class InvalidInput(ShopError):
    status = 422
    title = "Validation failed"


class OutOfStock(ShopError):
    status = 409
    title = "Out of stock"
    type = "/problems/out-of-stock"


class Conflict(ShopError):
    status = 409
    title = "Conflict"


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
