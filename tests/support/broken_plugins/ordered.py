"""Three small plugins to check hook order: priority first, then name.
Each records its name in :data:`SEEN` when its ``checkout_validate`` runs."""
from types import SimpleNamespace

from engine import PluginManifest, hookimpl

SEEN: list[str] = []


def make(name: str, priority: int = 100):
    @hookimpl
    def checkout_validate(checkout):
        SEEN.append(name)
        return None

    return SimpleNamespace(
        MANIFEST=PluginManifest(name=name, title=name, version="0.1.0", priority=priority),
        checkout_validate=checkout_validate,
    )
