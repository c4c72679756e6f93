"""Themes, ``/admin/themes`` and ``/admin/themes/<name>`` (``plugins:write``).

The list shows every installed theme with its parent chain, version and load
error, the active one marked, and activates one. A theme's page is the
customizer: its settings form (generated from the theme's settings model by
:mod:`engine.admin.schema_form`) beside a live preview of the storefront in an
iframe, and the result of ``shopwright themes check``.

The customizer's POST takes the form by its ``action``:

- ``preview``: the values are validated and carried, unsaved, in the staff
  member's signed preview cookie (:mod:`engine.themes.preview`), so the iframe
  — and only this browser — shows the store with them; nothing is written;
- ``publish``: the values are saved (:func:`engine.themes.registry.update_theme_settings`,
  audited ``theme.configure``); the storefront uses them if the theme is active;
- ``activate``: the theme becomes the store's (``theme.activate``).

Opening a theme's page starts a preview of its saved settings, so a theme
can be looked at before it is activated. An image uploaded beside an image
setting (the logo) is stored first (:mod:`engine.themes.media`, audited
``theme.media``) and its ``/media/theme/...`` path becomes the field's value,
for the preview and for Publish alike. Invalid values re-render the form
with the error at each field, and write nothing.
"""
from __future__ import annotations

from quart import Blueprint, current_app, g, redirect, request

from engine.admin import schema_form
from engine.admin.access import staff_page
from engine.admin.common import form_fields
from engine.admin.rendering import render_admin
from engine.themes import media, preview, registry
from engine.themes.check import check_theme
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_themes", __name__)

PERMISSION = "plugins:write"
LINK = "/admin/themes"
DONE = {"publish": "Settings published.", "activate": "Theme activated."}


def _state():
    return current_app.theme_state


def _chain(name: str) -> list[str]:
    try:
        return [theme.name for theme in registry.theme_chain(name, _state().themes)]
    except registry.ThemeError:
        return [name]


@blueprint.get("/admin/themes")
@staff_page(PERMISSION)
async def theme_list():
    state = _state()
    if state.discovers:
        state.rescan()
    await state.refresh()
    themes = [{"theme": theme, "chain": _chain(theme.name), "active": theme.name == state.active}
              for theme in sorted(state.themes.values(), key=lambda t: t.name)]
    return await render_admin("admin/themes.html", themes=themes, done=DONE.get(request.args.get("done", ""), ""))


def _specs(theme: registry.InstalledTheme, current) -> list[schema_form.FormField]:
    model = theme.manifest.settings if theme.manifest else None
    return schema_form.fields(model, current, current_app.settings.store.currency) if model else []


def _grant(name: str, settings: dict | None) -> str:
    return preview.mint(current_app.settings.secret_key,
                        preview.PreviewGrant(name, settings, by=str(g.actor.get("email") or "")))


async def _page(theme: registry.InstalledTheme, *, status: int = 200, specs=None, errors=None, message: str = "",
                grant: str | None = None):
    state = _state()
    await state.refresh()
    fields = specs if specs is not None else _specs(theme, state.settings_for(theme.name))
    problems = check_theme(theme, state.themes) if theme.manifest else []
    response = await render_admin(
        "admin/theme.html", status=status, theme=theme, chain=_chain(theme.name), active=state.active == theme.name,
        fields=fields, form_errors=schema_form.unplaced(fields, errors or {}), problems=problems, message=message,
        done=DONE.get(request.args.get("done", ""), ""), previewing=grant is not None)
    if grant is not None:
        response.set_cookie(preview.COOKIE, grant, max_age=preview.MAX_AGE, path="/", httponly=True, samesite="Lax",
                            secure=request.scheme == "https")
    return response


async def _store_uploads(specs: list[schema_form.FormField], form: dict[str, str]) -> dict[str, str]:
    """Store each image uploaded beside an image field (:mod:`engine.themes.media`)
    and put its path into ``form`` in place of the typed one; returns the errors
    of refused uploads by field."""
    files = await request.files
    errors = {}
    for spec in specs:
        upload = files.get(spec.name + schema_form.UPLOAD) if spec.kind == "image" else None
        if upload is None or not upload.filename:
            continue
        try:
            form[spec.name] = await media.store(upload.read(media.MAX_BYTES + 1), actor=request_actor())
        except media.MediaError as exc:
            errors[spec.name] = str(exc)
    return errors


def _theme(name: str) -> registry.InstalledTheme | None:
    theme = _state().themes.get(name)
    return theme if theme is not None and _state().usable(name) else None


async def _not_found(name: str):
    return await render_admin("admin/message.html", status=404, title="Not found",
                              message=f"No usable theme named {name!r} is installed.", link=LINK)


@blueprint.get("/admin/themes/<name>")
@staff_page(PERMISSION)
async def theme_detail(name: str):
    theme = _theme(name)
    if theme is None:
        return await _not_found(name)
    return await _page(theme, grant=_grant(name, None))


@blueprint.post("/admin/themes/<name>")
@staff_page(PERMISSION)
async def theme_change(name: str):
    theme = _theme(name)
    if theme is None:
        return await _not_found(name)
    form = await form_fields()
    action = str(form.get("action", ""))
    if action == "activate":
        try:
            mark_audited()
            await registry.set_active_theme(name, actor=request_actor())
        except registry.ThemeError as exc:
            return await _page(theme, status=422, message=str(exc))
        await _state().refresh()
        return redirect(f"{LINK}?done=activate", 303)
    if action not in ("preview", "publish"):
        return await render_admin("admin/message.html", status=400, title="Not done", message="Unknown action.",
                                  link=f"{LINK}/{name}")
    specs = _specs(theme, _state().settings_for(name))
    uploaded = await _store_uploads(specs, form)
    values, errors = schema_form.parse(specs, form)
    errors.update(uploaded)
    if not errors:
        try:
            if action == "preview":
                mark_audited()  # nothing is written: the values travel in this browser's cookie only
                base = _state().settings_for(name)
                validated = registry.validate_theme_settings(theme, values, base.model_dump(mode="json") if base else None)
                return await _page(theme, specs=schema_form.with_errors(specs, {}, form),
                                   grant=_grant(name, validated.model_dump(mode="json") if validated else None))
            mark_audited()
            await registry.update_theme_settings(name, values, _state().themes, actor=request_actor())
        except registry.ThemeSettingsError as exc:
            errors = exc.errors
        except ValueError as exc:  # a preview too large for its cookie
            return await _page(theme, status=422, specs=schema_form.with_errors(specs, {}, form), message=str(exc))
    if errors:
        return await _page(theme, status=422, specs=schema_form.with_errors(specs, errors, form), errors=errors,
                           message="Not saved: correct the fields marked below.")
    await _state().refresh()
    return redirect(f"{LINK}/{name}?done=publish", 303)
