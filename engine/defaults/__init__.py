"""Core defaults, registered as plugins like any other (with the lowest
precedence), so a plugin can sit beside or replace each of them."""

DEFAULT_PLUGINS = [
    "engine.defaults.core_auth",
    "engine.defaults.core_events",
    "engine.defaults.core_permissions",
    "engine.catalog.search_default",
]
