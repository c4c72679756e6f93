"""Core default search backend, registered as a plugin with the lowest
precedence so a search plugin (Meilisearch, Elasticsearch, ...) replaces it."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.catalog.search import default_backend

MANIFEST = PluginManifest(
    name="core_search",
    title="Catalog search (database full-text)",
    version="0.1.0",
    description="SQLite FTS5 on the embedded database, PostgreSQL full-text search in production.",
    core=True,
)


@hookimpl
def catalog_search_backend(database):
    return default_backend(database)
