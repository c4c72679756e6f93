"""Domain events: facts the core records in its outbox for plugins to react to."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    """One row of the outbox, as handed to ``jobs_handle_event``.

    ``id`` is unique and stable across deliveries: handlers are called at least
    once and use it to stay idempotent. ``name`` is e.g. ``order_placed``,
    ``order_paid``, ``stock_changed``, ``product_saved``; ``payload`` is JSON data.
    """

    id: int
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
