"""What the models know of a product (kept apart from :mod:`models`, so that
reading the shop's data does not import scipy and scikit-learn)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogItem:
    """A product's id, category slugs and text (title, description, attribute values)."""

    id: int
    categories: tuple[str, ...]
    text: str
