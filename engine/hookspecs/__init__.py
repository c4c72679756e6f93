"""Hook specifications, one module per domain.

Every spec's docstring is its contract. Modes: *firstresult* (stops at the
first non-None result, in hook order) or *collect-all* (every result, in hook
order). Hook order is plugin priority (lower first), then plugin name.
Any hookimpl may be ``async def``; the core awaits it. *Request* hooks run
inside an HTTP request under the ``plugins.hook_deadline_seconds`` deadline and
must not do network I/O; *worker* hooks run in the job worker, may be slow,
are called at least once and must be idempotent.

Where a spec names a ``settings`` argument, each plugin receives its own
validated settings model (None when it declares none); callers never pass it.
A hookimpl may accept any subset of a spec's arguments.
"""
from __future__ import annotations

from engine.hookspecs import (
    admin,
    auth,
    catalog,
    checkout,
    cli,
    fulfillment,
    jobs,
    lifecycle,
    orders,
    payment,
    pricing,
    storefront,
    theme,
)

MODULES = [lifecycle, auth, catalog, pricing, checkout, orders, payment, fulfillment, theme, storefront, admin, jobs,
           cli]
