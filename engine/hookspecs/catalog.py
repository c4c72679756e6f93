"""Catalog hooks: search."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("first", "request", on_failure="skip")
def catalog_search_backend(database, settings):
    """The search backend to use for storefront and API search.

    Firstresult: stops at the first non-None result; may be async; request
    hook. Returns a :class:`engine.protocols.SearchBackend`. The core default
    (SQLite FTS5 / PostgreSQL full-text) has the lowest priority, so any
    plugin replaces it; a plugin that fails here is left out (logged, shown
    to staff) and the next answer — at last the core default — is used. The
    backend's ``search`` runs in the request; ``reindex`` in the worker.
    """
