"""Catalog errors. All are ``ValueError``s so the CLI reports them as one line."""
from __future__ import annotations

from typing import Mapping


class CatalogError(ValueError):
    """Bad input to a catalog service. ``errors`` maps a field to its message."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


class InvalidQuery(CatalogError):
    """A search query parameter is invalid (unknown sort, bad number, ...)."""


class InvalidCursor(CatalogError):
    """A pagination cursor was not made by this server for this sort order."""


class NotFound(CatalogError):
    """A referenced product, variant, category or warehouse does not exist."""
