"""A plugin's own state: its settings and whether it is active."""
from __future__ import annotations

from typing import Any


def plugin_settings(runtime: Any, name: str) -> Any:
    """The validated settings model of active plugin ``name`` (secrets
    decrypted), or None when it is not active or declares no settings. In a
    job, ``ctx["runtime"]`` is the runtime. Example::

        async def nightly(ctx):
            settings = sdk.plugin_settings(ctx["runtime"], "loyalty")
            ...
    """
    return runtime.host.settings_for(name) if runtime.host.is_active(name) else None


def is_active(runtime: Any, name: str) -> bool:
    """Whether plugin ``name`` is enabled and usable now (its hooks are called).
    Example::

        if sdk.is_active(runtime, "erp_sync"):
            ...
    """
    return runtime.host.is_active(name)
