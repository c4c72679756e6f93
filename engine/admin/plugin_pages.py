"""``/admin/plugins/<plugin>/<path>``: the admin pages plugins add through
``admin_pages`` (found by :mod:`engine.accounts.plugin_pages`).

One core route serves every plugin page, so a page exists exactly while its
plugin is active (no blueprint, no restart). For each request, in order:

1. a visitor who is not a signed-in staff member is sent to ``/admin/login``
   (303), one who must still set up two-factor to ``/admin/account/2fa``;
2. no such page of an active plugin: 404;
3. the staff member lacks the page's permission (``post_permission`` for a
   POST): 403;
4. the view runs with an :class:`~engine.protocols.AdminRequest` (a POST's
   CSRF token was checked before, by :mod:`engine.web.csrf`); its
   :class:`~engine.protocols.AdminResponse` is rendered from the plugin's own
   templates (``"<plugin>/<file>"`` in its manifest's ``templates`` folder,
   or a template string) with autoescape and placed in the admin layout,
   answered as a redirect under ``/admin/``, or sent as a file download. A view that raises or answers
   something else gives a 500 page naming the plugin (logged).
"""
from __future__ import annotations

import inspect
from typing import Any

import structlog
from jinja2 import BaseLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from markupsafe import Markup
from quart import Blueprint, Response, current_app, g, redirect, request

from engine.accounts.permissions import actor_has
from engine.accounts.plugin_pages import PluginPage, find_page
from engine.admin.access import TWO_FACTOR_PATHS
from engine.admin.common import form_fields
from engine.admin.rendering import render_admin
from engine.protocols import AdminRequest, AdminResponse
from engine.themes.templating import plugin_template_folder
from engine.web.csrf import current_token, hidden_field
from engine.web.guard import current_actor
from engine.web.headers import nonce

log = structlog.get_logger("shopwright.admin")

blueprint = Blueprint("admin_plugin_pages", __name__)

#: what the route declares to the deny-by-default guard: each page declares
#: its own permission, checked here before its view runs
OWN_PERMISSION = "(the page's own)"
#: template strings compiled and kept per plugin (a bounded cache)
MAX_COMPILED = 256
MAX_STATUS = 599

_environments: dict[tuple[str, str], Environment] = {}
_compiled: dict[tuple[str, str], Any] = {}


def _environment(plugin: str) -> Environment:
    manifest = current_app.runtime.host.get(plugin).manifest
    folder = manifest.templates if manifest is not None else None
    key = (plugin, str(folder))
    environment = _environments.get(key)
    if environment is None:
        loader: BaseLoader = (PrefixLoader({plugin: FileSystemLoader(str(plugin_template_folder(plugin, folder)))})
                              if folder is not None else PrefixLoader({}))
        environment = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True),
                                  trim_blocks=True, lstrip_blocks=True)
        environment.globals.update(csrf_token=current_token, csrf_field=hidden_field, csp_nonce=nonce)
        _environments[key] = environment
    return environment


def _template(plugin: str, answer: AdminResponse):
    environment = _environment(plugin)
    if answer.template is not None:
        return environment.get_template(answer.template)
    key = (plugin, answer.source)
    template = _compiled.get(key)
    if template is None:
        if len(_compiled) >= MAX_COMPILED:
            _compiled.pop(next(iter(_compiled)))
        template = _compiled[key] = environment.from_string(answer.source)
    return template


def _check(answer: Any) -> str | None:
    """Why ``answer`` cannot be sent, or None."""
    if not isinstance(answer, AdminResponse):
        return f"the view returned {type(answer).__name__}, not an AdminResponse"
    if answer.redirect is not None:
        if not isinstance(answer.redirect, str) or not answer.redirect.startswith("/admin/") or "//" in answer.redirect:
            return f"redirect {answer.redirect!r} is not a path under /admin/"
        return None
    if answer.download is not None:
        return None   # checked when the AdminResponse was made
    if (answer.template is None) == (answer.source is None):
        return "give a template or a source"
    if isinstance(answer.status, bool) or not isinstance(answer.status, int) or not 200 <= answer.status <= MAX_STATUS:
        return f"status {answer.status!r} is not an HTTP status"
    return None


async def _answer(found: PluginPage, actor: dict, answer: AdminResponse) -> Response:
    if answer.redirect is not None:
        return redirect(answer.redirect, 303)
    if answer.download is not None:
        return Response(answer.download, status=200, content_type=answer.content_type, headers={
            "Content-Disposition": f'attachment; filename="{answer.filename}"', "Cache-Control": "no-store"})
    context = {"plugin": found.plugin, "page": {"title": found.page.title, "path": found.page.path, "url": found.url},
               "actor": actor, **answer.context}
    body = _template(found.plugin, answer).render(context)
    return await render_admin("admin/plugin_page.html", status=answer.status, title=found.page.title,
                              plugin=found.plugin, content=Markup(body))


async def _uploads() -> dict[str, tuple[str, bytes]]:
    """The first uploaded file of each field of a multipart POST."""
    files = await request.files
    return {key: (files[key].filename or "", files[key].read()) for key in files}


def _request_of(found: PluginPage, actor: dict, form: dict[str, str],
                files: dict[str, tuple[str, bytes]]) -> AdminRequest:
    runtime = current_app.runtime
    shown = {"kind": actor.get("kind"), "id": actor.get("id"), "email": actor.get("email"),
             "role": actor.get("role"), "permissions": frozenset(actor.get("permissions") or ())}
    return AdminRequest(plugin=found.plugin, path=found.page.path, method=request.method,
                        args={key: request.args.get(key, "") for key in request.args}, form=form, actor=shown,
                        settings=runtime.host.settings_for(found.plugin), runtime=runtime,
                        csrf_token=current_token(), files=files)


async def _failed(found: PluginPage, reason: str) -> Response:
    log.error("admin_page.failed", plugin=found.plugin, path=found.page.path, reason=reason)
    return await render_admin("admin/message.html", status=500, title="Page failed",
                              message=f"This page of plugin {found.plugin!r} failed: {reason}")


@blueprint.route("/admin/plugins/<plugin>/<path:path>", methods=["GET", "POST"])
async def plugin_page(plugin: str, path: str):
    actor = await current_actor()
    if actor is None or actor.get("kind") != "staff":
        return redirect(f"/admin/login?next={request.path}", 303)
    if actor.get("must_enrol") and not request.path.startswith(TWO_FACTOR_PATHS):
        return redirect("/admin/account/2fa", 303)
    g.actor = actor
    found = await find_page(current_app.runtime, plugin, path)
    if found is None:
        return await render_admin("admin/message.html", status=404, title="Not found",
                                  message="There is no such page.")
    permission = found.permission_for(request.method)
    if not actor_has(actor, permission):
        return await render_admin("admin/message.html", status=403, title="Not allowed",
                                  message=f"This page needs the {permission!r} permission.")
    form = await form_fields() if request.method == "POST" else {}
    files = await _uploads() if request.method == "POST" else {}
    try:
        answer = found.page.view(_request_of(found, actor, form, files))
        if inspect.isawaitable(answer):
            answer = await answer
    except Exception as exc:
        log.exception("admin_page.view_failed", plugin=found.plugin, path=found.page.path)
        return await _failed(found, f"{type(exc).__name__}: {exc}")
    problem = _check(answer)
    if problem is not None:
        return await _failed(found, problem)
    try:
        return await _answer(found, actor, answer)
    except Exception as exc:
        log.exception("admin_page.render_failed", plugin=found.plugin, path=found.page.path)
        return await _failed(found, f"{type(exc).__name__}: {exc}")


plugin_page.required_permission = OWN_PERMISSION  # type: ignore[attr-defined]
