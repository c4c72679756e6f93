"""What a plugin or theme declares about itself.

A plugin module registered under the ``shopwright.plugins`` entry point group
exposes ``MANIFEST = PluginManifest(...)`` next to its ``@hookimpl`` functions.
A theme registered under ``shopwright.themes`` exposes ``MANIFEST = ThemeManifest(...)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field


def secret(default: Any = "", **kwargs: Any) -> Any:
    """A settings field that is stored encrypted at rest and shown masked.

    Use it in a plugin's settings model: ``secret_key: str = secret()``.
    """
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra["secret"] = True
    return Field(default, json_schema_extra=extra, **kwargs)


def secret_fields(model: type[BaseModel] | None) -> set[str]:
    """Names of the fields of ``model`` declared with :func:`secret`."""
    if model is None:
        return set()
    names = set()
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("secret"):
            names.add(name)
    return names


@dataclass(frozen=True)
class PluginManifest:
    """Identity and capabilities of a plugin.

    - ``name``: unique, lower_snake_case; job names and settings are keyed by it.
    - ``engine``: a PEP 440 specifier (e.g. ``">=0.1,<1"``) the running engine
      version must satisfy, or the plugin is reported and skipped.
    - ``settings``: a pydantic model; fields made with :func:`secret` are
      encrypted at rest. Every field needs a default so an unconfigured plugin
      can still be enabled (validation of required values belongs in the model).
    - ``piccolo_app``: dotted path of a module with a Piccolo ``APP_CONFIG`` whose
      tables and migrations belong to the plugin (migration_dependencies should
      name ``engine.system.piccolo_app``).
    - ``templates``/``static``: folders served namespaced by the plugin's name.
    - ``priority``: lower runs earlier in hook calls; ties broken by name. The
      merchant may override it per shop.
    - ``events``: the domain events (``"order_paid"``, ``"stock_changed"``, ...)
      whose delivery to ``jobs_handle_event`` the plugin wants; empty (the
      default) means every event.
    """

    name: str
    title: str
    version: str = "0.0.0"
    engine: str = ""
    description: str = ""
    settings: type[BaseModel] | None = None
    piccolo_app: str | None = None
    templates: Path | None = None
    static: Path | None = None
    priority: int = 100
    core: bool = False
    events: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        events = (self.events,) if isinstance(self.events, str) else tuple(self.events or ())
        object.__setattr__(self, "events", events)


@dataclass(frozen=True)
class ThemeManifest:
    """Identity of a storefront theme.

    ``parent`` names the theme this one extends (its templates are looked up
    after this theme's); ``settings`` is a pydantic model of what the merchant
    may edit (colours, logo, banners, menus).
    """

    name: str
    title: str
    version: str = "0.0.0"
    engine: str = ""
    parent: str | None = None
    templates: Path | None = None
    static: Path | None = None
    settings: type[BaseModel] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
