"""Admin JSON API for plugins: list, enable, disable, configure (``plugins:write``).

The plugin host audits each change (``plugin.enable``, ``plugin.disable``,
``plugin.configure``) as the request's actor, with its IP address and user agent."""
from __future__ import annotations

from dataclasses import asdict

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, current_app, request
from quart_schema import document_request

from engine.web.audit import mark_audited, request_actor
from engine.web.guard import require_permission
from engine.web.problems import Problem
from engine.plugins import PluginError

blueprint = Blueprint("admin_plugins_api", __name__, url_prefix="/api/v1/admin/plugins")


class SettingsIn(BaseModel):
    """Setting name → value, as the plugin's settings schema defines them (checked by the plugin host)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"minProperties": 1})


def _host():
    return current_app.runtime.host


def _describe(name: str, failures: dict | None = None) -> dict:
    """A plugin's status, settings (secrets masked) and ``last_failure``: its
    latest hook failure (``hook``, ``message``, ``at``, ``count``) or None."""
    status = asdict(_host().status_of(name))
    status["settings"] = _host().shown_settings(name)
    failure = (failures or {}).get(name)
    status["last_failure"] = failure.to_json() if failure else None
    return status


@blueprint.get("")
@require_permission("plugins:write")
async def list_plugins():
    failures = await _host().failures()
    return {"items": [_describe(s.name, failures) for s in _host().status()]}


@blueprint.get("/<name>")
@require_permission("plugins:write")
async def show_plugin(name: str):
    try:
        return _describe(name, await _host().failures())
    except PluginError as exc:
        raise Problem(404, "Not found", str(exc)) from None


async def _change(name: str, action) -> dict:
    """Run ``action(actor)`` (a host change, audited by the host) as the request's
    actor; a refused change is a 404 or 422 problem."""
    actor = request_actor()
    mark_audited()
    try:
        await action(actor)
    except PluginError as exc:
        status = 404 if "no plugin named" in str(exc) else 422
        raise Problem(status, "Plugin change refused", str(exc)) from None
    return _describe(name, await _host().failures())


@blueprint.post("/<name>/enable")
@require_permission("plugins:write")
async def enable_plugin(name: str):
    database = current_app.runtime.database
    return await _change(name, lambda actor: _host().enable(name, actor=actor, database=database))


@blueprint.post("/<name>/disable")
@require_permission("plugins:write")
async def disable_plugin(name: str):
    return await _change(name, lambda actor: _host().disable(name, actor=actor))


@blueprint.patch("/<name>/settings")
@require_permission("plugins:write")
@document_request(SettingsIn)
async def configure_plugin(name: str):
    values = await request.get_json(silent=True)
    if not isinstance(values, dict) or not values:
        raise Problem(422, "Validation failed", "Send a JSON object of setting -> value.",
                      errors={"body": "expected a non-empty JSON object"})
    return await _change(name, lambda actor: _host().configure(name, values, actor=actor))
