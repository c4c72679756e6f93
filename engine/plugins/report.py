"""What staff see about plugins beyond their status: the hooks a plugin
implements, what an installed integration still needs before it can work,
and the catalog of plugins that can be installed or enabled.

Read-only: nothing here writes or calls a plugin's hooks. ``missing`` may call
the settings model's own ``missing()`` method (see :func:`missing_settings`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from engine import PROJECT_NAME
from engine.plugins.discovery import InstalledPlugin

#: Marks a setting the integration cannot work without:
#: ``Field("", json_schema_extra={"needed": True})`` (or ``secret(json_schema_extra=...)``).
NEEDED = "needed"


@dataclass(frozen=True)
class Bundled:
    """A plugin distributed with Shopwright (``plugins/<name>`` in its repository)."""

    name: str
    distribution: str
    description: str


#: The plugins shipped with Shopwright; each is its own distribution.
BUNDLED = (
    Bundled("auth_oidc", "shopwright-auth-oidc",
            "OpenID Connect sign-in for shoppers (authorization code flow with PKCE)"),
    Bundled("erp_sync", "shopwright-erp-sync", "ERP synchronisation (Odoo JSON-RPC or CSV exchange)"),
    Bundled("ops_sentry", "shopwright-ops-sentry", "Error tracking with Sentry (personal data scrubbed)"),
    Bundled("payments_paypal", "shopwright-payments-paypal", "PayPal payments (PayPal REST Orders v2)"),
    Bundled("payments_stripe", "shopwright-payments-stripe",
            "Stripe card payments (Payment Intents with Stripe-hosted card fields)"),
    Bundled("shipping_rates", "shopwright-shipping-rates", "Live shipping rates from a carrier rate API"),
)


@dataclass(frozen=True)
class CatalogEntry:
    """A plugin a merchant could start using: ``installed`` (then enable it)
    or not (then ``pip_command`` installs it)."""

    name: str
    title: str
    description: str
    distribution: str
    installed: bool

    @property
    def pip_command(self) -> str:
        return f"pip install {self.distribution}"


def hooks_implemented(plugin: InstalledPlugin) -> list[str]:
    """The hook names ``plugin`` implements (``@hookimpl(specname=...)`` counted
    under the spec's name), sorted; [] when it could not be imported."""
    obj = plugin.obj
    if obj is None:
        return []
    marker = PROJECT_NAME + "_impl"
    hooks = set()
    for attribute in dir(obj):
        options = getattr(getattr(obj, attribute, None), marker, None)
        if isinstance(options, dict):
            hooks.add(options.get("specname") or attribute)
    return sorted(hooks)


def missing_settings(plugin: InstalledPlugin, settings: BaseModel | None) -> list[str]:
    """What ``plugin`` still needs before its integration can work, one line
    each (e.g. ``"secret_key: Secret or restricted API key (sk_... or rk_...)"``).

    A settings model that knows its own rules defines ``missing(self) ->
    list[str]``; otherwise every empty field marked :data:`NEEDED` is named with
    its description. ``settings`` None (no model, or stored settings that do not
    validate) is judged on the model's defaults."""
    model = plugin.manifest.settings if plugin.manifest else None
    if model is None:
        return []
    current = settings if settings is not None else _defaults(model)
    if current is None:
        return []
    own = getattr(current, "missing", None)
    if callable(own):
        return [str(line) for line in own()]
    lines = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(NEEDED) and getattr(current, name, None) in (None, ""):
            lines.append(f"{name}: {info.description}" if info.description else name)
    return lines


def _defaults(model: type[BaseModel]) -> BaseModel | None:
    try:
        return model()
    except ValidationError:  # a model whose defaults do not validate has nothing to say
        return None


def catalog(host: Any) -> list[CatalogEntry]:
    """Plugins to start using: installed, usable, not core and not enabled
    (any distribution in the environment's entry points), then the bundled
    ones not installed here; each by name."""
    entries: dict[str, CatalogEntry] = {}
    for status in host.status():
        plugin = host.installed.get(status.name)
        if plugin is None or plugin.core or status.enabled or plugin.error or plugin.manifest is None:
            continue
        entries[status.name] = CatalogEntry(status.name, status.title, plugin.manifest.description,
                                            plugin.distribution or status.name, installed=True)
    for bundled in BUNDLED:
        if bundled.name not in host.installed:
            entries[bundled.name] = CatalogEntry(bundled.name, bundled.name, bundled.description,
                                                 bundled.distribution, installed=False)
    return [entries[name] for name in sorted(entries)]
