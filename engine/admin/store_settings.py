"""Store settings and taxes in the admin: ``/admin/settings`` with the
``settings:write`` permission (owners hold it; the ``support`` and
``manager`` roles do not, a custom role may).

Two forms: the store's profile (POST ``/admin/settings``:
:mod:`engine.system.store_profile`, audited ``settings.store`` with the
changed field names) and taxes (POST ``/admin/settings/taxes``: the
``core_tax`` plugin's settings through the plugin host, which audits
``plugin.configure``). Both reach every process without a restart: the
profile through the ``site`` change counter and each runtime's poll, the tax
rates as any plugin setting does. A field that cannot be read comes back
with its message (422) and nothing is saved.
"""
from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, redirect, request

from engine.admin.access import staff_page
from engine.admin.common import form_fields
from engine.admin.rendering import render_admin
from engine.admin.tax_form import parse_rate_lines, rate_lines
from engine.plugins import PluginError, SettingsInvalid
from engine.system import store_profile
from engine.web.audit import mark_audited, record, request_actor

blueprint = Blueprint("admin_settings", __name__)

WRITE = "settings:write"
LINK = "/admin/settings"
TAX_PLUGIN = "core_tax"


def _tax_values() -> dict[str, Any] | None:
    """The tax form's text, or None when the core tax plugin is not installed."""
    host = current_app.runtime.host
    if TAX_PLUGIN not in host.installed:
        return None
    stored = host.stored_settings(TAX_PLUGIN)
    rates = getattr(stored, "rates", {}) or {}
    return {"rates": rate_lines(rates), "default_country": getattr(stored, "default_country", ""),
            "label": getattr(stored, "label", "Tax"), "active": host.is_active(TAX_PLUGIN)}


async def _page(status: int = 200, store: dict | None = None, taxes: dict | None = None, errors: dict | None = None,
                failed: str = ""):
    settings = current_app.settings
    profile = store or store_profile.current(settings, await store_profile.stored())
    if isinstance(profile.get("countries"), list):
        profile = {**profile, "countries": " ".join(profile["countries"])}
    return await render_admin("admin/settings.html", status=status, profile=profile,
                              taxes=taxes or _tax_values(), errors=errors or {}, failed=failed,
                              currency=settings.store.currency, locale=settings.store.locale,
                              order_number_start=settings.checkout.order_number_start,
                              order_number_prefix=settings.checkout.order_number_prefix,
                              done=request.args.get("done"))


@blueprint.get("/admin/settings")
@staff_page(WRITE)
async def settings_page():
    return await _page()


@blueprint.post("/admin/settings")
@staff_page(WRITE)
async def store_save():
    form = await form_fields()
    values = {field: str(form.get(field, ""))[:2000] for field in store_profile.FIELDS}
    values["prices_include_tax"] = form.get("prices_include_tax") == "1"
    try:
        changed = await store_profile.save(current_app.settings, values)
    except store_profile.ProfileInvalid as exc:
        return await _page(422, store=values, errors=exc.errors, failed="store")
    await record("settings.store", "store.profile", {"keys": changed}, request_actor())
    return redirect(LINK + "?done=store", 303)


@blueprint.post("/admin/settings/taxes")
@staff_page(WRITE)
async def taxes_save():
    form = await form_fields()
    typed = {"rates": str(form.get("rates", ""))[:20000], "default_country": str(form.get("default_country", ""))[:10],
             "label": str(form.get("label", ""))[:50].strip()}
    errors: dict[str, str] = {}
    try:
        rates = parse_rate_lines(typed["rates"])
    except ValueError as exc:
        errors["rates"] = str(exc)
    if not typed["label"]:
        errors["label"] = "Enter the name tax lines carry, like VAT."
    if not errors:
        try:
            mark_audited()
            await current_app.runtime.host.configure(TAX_PLUGIN, {"rates": rates, "label": typed["label"],
                                                                  "default_country": typed["default_country"]},
                                                     actor=request_actor())
        except SettingsInvalid as exc:
            errors = {key.split(".")[0]: message for key, message in exc.errors.items()}
        except PluginError as exc:
            errors = {"rates": str(exc)}
    if errors:
        current = _tax_values() or {}
        return await _page(422, taxes={**current, **typed}, errors=errors, failed="taxes")
    return redirect(LINK + "?done=taxes", 303)
