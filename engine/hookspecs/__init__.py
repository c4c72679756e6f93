"""Hook specifications, one module per domain.

Every spec's docstring is its contract, and its declaration
(:mod:`engine.hookspecs.contract`) states how the core calls it; one caller
reads it (``await host.hook(name, ...)``). Modes: *firstresult* (stops at
the first non-None result, in hook order), *collect-all* (every result, in
hook order) or *pipeline* (each implementation gets the previous one's
result). Hook order is plugin priority (lower first), then plugin name. A
hookimpl may be ``async def`` unless the spec says "plain `def` only"; the
core awaits it.

*Request* hooks run inside an HTTP request under the
``plugins.hook_deadline_seconds`` deadline and must not do network I/O. A
plugin's plain ``def`` request hook runs in a worker thread, so a slow one is
cut off at the deadline without holding up other requests; an ``async def``
one must not block. After ``plugins.breaker_failures`` failures in a row a
plugin's request hook is left out for ``plugins.breaker_cooldown_seconds``,
then tried again. *Worker* hooks run in the job worker, may be slow, are
called at least once and must be idempotent.

A failing implementation (it raises, misses the deadline, or answers what the
core cannot use) is logged and shown to staff (``shopwright plugins list``,
``/readyz``, ``GET /api/v1/admin/plugins``); then, as each spec states,
either its answer is left out and the others stand ("a failing plugin is
skipped"), or the call fails with a ``HookError`` naming the plugin ("a
failing plugin fails the call": payment, tax, security).

Where a spec names a ``settings`` argument, each plugin receives its own
validated settings model (None when it declares none); callers never pass it.
A hookimpl may accept any subset of a spec's arguments; one with an argument
the spec lacks, a misspelt hook name, or ``wrapper=True`` is refused at load.
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
