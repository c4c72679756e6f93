"""HTTP routes of the theme layer: versioned static files and staff previews.

- ``GET /static/theme/<name>/<hash>/<path>``: a theme's static file. When
  ``<hash>`` is the file's current content hash the answer may be cached for a
  year (``immutable``); an outdated hash still gets the current file, but
  ``no-cache`` (a page cached before a deploy keeps working).
- ``GET /static/plugin/<name>/<hash>/<path>``: the same for an active plugin's
  ``static`` folder.
- ``GET /media/theme/<sha256>.<ext>``: an image the merchant uploaded for a
  theme (:mod:`engine.themes.media`); named by its content, so cached for a
  year.
- ``GET|POST /admin/theme-preview/<name>``: staff only (``Authorization: Bearer``
  admin API token with ``plugins:write``). Sets the preview cookie (see
  :mod:`engine.themes.preview`) and redirects to the store front page. A POST
  body (a JSON object, or form fields with dotted names such as
  ``colours.primary``) holds unsaved settings, merged over the saved ones and
  validated against the theme's schema (422 problem when invalid).
- ``GET /admin/theme-preview/_exit``: ends the preview (clears the cookie).
"""
from __future__ import annotations

from quart import Blueprint, Response, abort, current_app, redirect, request, send_file

from engine.web.problems import Problem
from engine.themes import media, preview, registry
from engine.themes.assets import LONG_CACHE, content_hash, safe_path

blueprint = Blueprint("themes", __name__)

PREVIEW_PERMISSION = "plugins:write"


async def _serve(folder, version: str, filename: str):
    path = safe_path(folder, filename) if folder is not None else None
    if path is None:
        abort(404)
    response = await send_file(path, conditional=True)
    if version == content_hash(path):
        response.headers["Cache-Control"] = LONG_CACHE
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/static/theme/<name>/<version>/<path:filename>")
async def theme_static(name: str, version: str, filename: str):
    theme = current_app.theme_state.themes.get(name)
    if theme is None or theme.manifest is None or theme.error:
        abort(404)
    return await _serve(theme.manifest.static, version, filename)


@blueprint.get("/static/plugin/<name>/<version>/<path:filename>")
async def plugin_static(name: str, version: str, filename: str):
    host = current_app.runtime.host
    if not host.is_active(name):
        abort(404)
    return await _serve(host.installed[name].manifest.static, version, filename)


@blueprint.get("/media/theme/<name>")
async def theme_media(name: str):
    found = await media.load(name)
    if found is None:
        abort(404)
    content_type, data = found
    response = Response(data, content_type=content_type)
    response.headers["Cache-Control"] = LONG_CACHE
    return response


async def _staff_label() -> str:
    """The caller's token prefix when it may preview themes; raises a problem otherwise."""
    from engine.accounts.staff import resolve_token, token_grants

    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    row = await resolve_token(value.strip()) if scheme.lower() == "bearer" and value.strip() else None
    if row is None:
        raise Problem(401, "Unauthorized", "A staff API token is required (Authorization: Bearer ...).")
    if not token_grants(row, PREVIEW_PERMISSION):
        raise Problem(403, "Forbidden", f"Previewing themes needs the {PREVIEW_PERMISSION!r} permission.")
    return row["prefix"]


async def _unsaved_settings() -> dict | None:
    if request.method != "POST":
        return None
    if request.is_json:
        body = await request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Problem(400, "Bad request", "The body must be a JSON object of theme settings.")
        return body
    form = await request.form
    values: dict = {}
    for key in form:  # "colours.primary=#123456" → {"colours": {"primary": "#123456"}}
        *parents, leaf = key.split(".")
        target = values
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise Problem(400, "Bad request", f"form field {key!r} clashes with another field")
        target[leaf] = form.get(key)
    return values or None


@blueprint.route("/admin/theme-preview/_exit", methods=["GET", "POST"])
async def preview_exit():
    response = redirect("/", 303)
    response.delete_cookie(preview.COOKIE, path="/")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/admin/theme-preview/<name>", methods=["GET", "POST"])
async def preview_start(name: str):
    by = await _staff_label()
    state = current_app.theme_state
    theme = state.themes.get(name)
    if theme is None or not state.usable(name):
        raise Problem(404, "Not found", f"no usable theme named {name!r} is installed")
    values = await _unsaved_settings()
    settings = None
    if values:
        await state.refresh_if_stale()
        base = state.settings_for(name)
        try:
            validated = registry.validate_theme_settings(theme, values, base.model_dump(mode="json") if base else None)
        except registry.ThemeSettingsError as exc:
            raise Problem(422, "Invalid theme settings", str(exc), errors=exc.errors) from None
        settings = validated.model_dump(mode="json") if validated else None
    try:
        cookie = preview.mint(current_app.settings.secret_key, preview.PreviewGrant(name, settings, by))
    except ValueError as exc:
        raise Problem(413, "Preview too large", str(exc)) from None
    response = redirect(f"/?preview_theme={name}", 303)
    response.set_cookie(preview.COOKIE, cookie, max_age=preview.MAX_AGE, path="/", httponly=True,
                        samesite="Lax", secure=request.scheme == "https")
    response.headers["Cache-Control"] = "private, no-store"
    return response


preview_start.required_permission = PREVIEW_PERMISSION  # type: ignore[attr-defined]
