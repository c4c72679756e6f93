"""Core defaults, registered as plugins like any other (with the lowest
precedence), so a plugin can sit beside or replace each of them."""

DEFAULT_PLUGINS = [
    "engine.defaults.core_auth",
    "engine.defaults.core_events",
    "engine.defaults.core_permissions",
    "engine.catalog.search_default",
    "engine.defaults.core_tax",
    "engine.defaults.core_promotions",
    "engine.defaults.core_shipping",
    "engine.defaults.core_payments",
    "engine.defaults.core_orders",
    "engine.defaults.core_mail",
    "engine.webhooks.plugin",
]
