"""Counting checkout submissions by outcome (``shopwright_checkouts_total``)."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from engine.errors import ShopError


def reason_class(exc: ShopError) -> str:
    """A refusal's reason class: its error class in snake case (``OutOfStock`` →
    ``out_of_stock``) — a bounded label, never the message."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def counted(place: Callable) -> Callable:
    """Decorate ``place_order(runtime, ...) -> (order, created)``: count each
    submission as ``placed``, ``replayed`` (same Idempotency-Key), ``refused``
    (a :class:`ShopError`, by :func:`reason_class`) or ``error``. A payment
    that cannot be started after the order was written counts as refused
    ``plugin_failure``: the shopper has to submit again."""

    @functools.wraps(place)
    async def place_counted(runtime: Any, *args: Any, **kwargs: Any) -> Any:
        counter = runtime.metrics.checkouts
        try:
            order, created = await place(runtime, *args, **kwargs)
        except ShopError as exc:
            counter.labels("refused", reason_class(exc)).inc()
            raise
        except Exception:
            counter.labels("error", "").inc()
            raise
        counter.labels("placed" if created else "replayed", "").inc()
        return order, created

    return place_counted
