"""The Piccolo apps that make up a shop's schema: core apps plus plugin apps."""
from __future__ import annotations

import importlib

from piccolo.conf.apps import AppConfig

#: Core Piccolo apps, in dependency order. Each module has ``APP_CONFIG``.
CORE_APPS = [
    "engine.system.piccolo_app",
    "engine.accounts.piccolo_app",
    "engine.security.piccolo_app",
    "engine.catalog.piccolo_app",
    "engine.cache.piccolo_app",
    "engine.cart.piccolo_app",
    "engine.orders.piccolo_app",
    "engine.payments.piccolo_app",
    "engine.pricing.piccolo_app",
    "engine.notifications.piccolo_app",
    "engine.webhooks.piccolo_app",
]


def all_app_modules(plugin_apps: list[str]) -> list[str]:
    """Core apps followed by ``plugin_apps``."""
    return CORE_APPS + [app for app in plugin_apps if app not in CORE_APPS]


def load_app_config(module_path: str) -> AppConfig:
    return importlib.import_module(module_path).APP_CONFIG


def tables_of(module_paths: list[str]):
    for module_path in module_paths:
        yield from load_app_config(module_path).table_classes
