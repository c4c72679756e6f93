"""Core defaults, registered as plugins like any other (with the lowest
precedence), so a plugin can sit beside or replace each of them. The host
lists them by module name (``engine.plugins.DEFAULT_PLUGINS``)."""
