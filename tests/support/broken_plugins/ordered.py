"""Three small plugins to check hook order: priority first, then name."""
from types import SimpleNamespace

from engine import PluginManifest, hookimpl


def make(name: str, priority: int = 100):
    @hookimpl
    def checkout_validate(checkout):
        checkout.setdefault("seen", []).append(name)
        return None

    return SimpleNamespace(
        MANIFEST=PluginManifest(name=name, title=name, version="0.1.0", priority=priority),
        checkout_validate=checkout_validate,
    )
