"""Plugins, ``/admin/plugins`` and ``/admin/plugins/<name>`` (``plugins:write``).

The list shows every installed plugin (version, engine range, state, load
error, latest hook failure, what it still needs) and the catalog of plugins to
start using, with the ``pip install`` command; opening the list searches the
environment for plugins installed since (:meth:`PluginHost.rescan`), so a
plugin installed while the store runs appears without a restart.

A plugin's page shows the hooks it implements, links to its admin pages and
its settings form, generated from its settings model
(:mod:`engine.admin.schema_form`). One POST route takes the page's forms by
their ``action`` (``enable``, ``disable``, ``save``) — a separate path would
shadow a plugin's own admin page of that name. The changes, their validation
and audit entries are the plugin host's (the same calls as the JSON API,
:mod:`engine.api.admin_plugins`); enabling first applies the plugin's pending
migrations, as ``shopwright plugins enable`` does. A secret is never sent back
to the browser.
"""
from __future__ import annotations

from quart import Blueprint, current_app, redirect, request

from engine.accounts.plugin_pages import plugin_pages
from engine.admin import schema_form
from engine.admin.access import staff_page
from engine.admin.common import form_fields
from engine.admin.rendering import render_admin
from engine.plugins import PluginError, SettingsInvalid
from engine.plugins.report import catalog, hooks_implemented, missing_settings
from engine.web.audit import mark_audited, request_actor


blueprint = Blueprint("admin_plugins", __name__)

PERMISSION = "plugins:write"
LINK = "/admin/plugins"


def _host():
    return current_app.runtime.host


def _missing(name: str) -> list[str]:
    plugin = _host().installed.get(name)
    return missing_settings(plugin, _host().stored_settings(name)) if plugin and plugin.manifest else []


@blueprint.get("/admin/plugins")
@staff_page(PERMISSION)
async def plugin_list():
    _host().rescan(retry_failed=False)
    failures = await _host().failures()
    rows = [{"status": status, "plugin": _host().installed.get(status.name), "failure": failures.get(status.name),
             "missing": _missing(status.name) if status.enabled else []}
            for status in _host().status()]
    return await render_admin("admin/plugins.html", rows=rows, catalog=catalog(_host()),
                              done=request.args.get("done", ""))


def _form_fields(name: str) -> list[schema_form.FormField]:
    plugin = _host().get(name)
    model = plugin.manifest.settings if plugin.manifest else None
    if model is None:
        return []
    return schema_form.fields(model, _host().stored_settings(name), current_app.settings.store.currency)


async def _detail(name: str, status: int = 200, specs: list | None = None, errors: dict | None = None,
                  message: str = ""):
    host = _host()
    state = host.status_of(name)  # also a plugin enabled here but not installed: it can be disabled
    plugin = host.installed.get(name)
    failure = (await host.failures()).get(name)
    pages = [page for page in await plugin_pages(current_app.runtime) if page.plugin == name]
    fields = specs if specs is not None else (_form_fields(name) if plugin else [])
    return await render_admin("admin/plugin.html", status=status, plugin=plugin, state=state, failure=failure,
                              hooks=hooks_implemented(plugin) if plugin else [], pages=pages, fields=fields,
                              form_errors=schema_form.unplaced(fields, errors or {}), missing=_missing(name),
                              message=message, done=request.args.get("done", ""))


@blueprint.get("/admin/plugins/<name>")
@staff_page(PERMISSION)
async def plugin_detail(name: str):
    try:
        return await _detail(name)
    except PluginError as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc), link=LINK)


@blueprint.post("/admin/plugins/<name>")
@staff_page(PERMISSION)
async def plugin_change(name: str):
    form = await form_fields()
    action = str(form.get("action", ""))
    host, actor = _host(), request_actor()
    try:
        if action == "enable":
            mark_audited()
            await host.enable(name, actor=actor, database=current_app.runtime.database)
        elif action == "disable":
            mark_audited()
            await host.disable(name, actor=actor)
        elif action == "save":
            return await _save(name, form)
        else:
            return await render_admin("admin/message.html", status=400, title="Not done",
                                      message="Unknown action.", link=f"{LINK}/{name}")
    except PluginError as exc:
        try:
            return await _detail(name, status=422, message=str(exc))
        except PluginError:
            return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc),
                                      link=LINK)
    return redirect(f"{LINK}/{name}?done={action}", 303)


async def _save(name: str, form: dict):
    specs = _form_fields(name)
    values, errors = schema_form.parse(specs, form)
    if not errors:
        try:
            mark_audited()
            await _host().configure(name, values, actor=request_actor())
        except SettingsInvalid as exc:
            errors = exc.errors
    if errors:
        return await _detail(name, status=422, specs=schema_form.with_errors(specs, errors, form), errors=errors,
                             message="The settings were not saved: correct the fields marked below.")
    return redirect(f"{LINK}/{name}?done=save", 303)
