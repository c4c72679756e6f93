"""The sample plugin's hooks."""
from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint, current_app

from engine import PluginManifest, hookimpl, secret
from engine.protocols import JobDefinition, Permission
from sample_plugin.tables import SampleNote


class SampleSettings(BaseModel):
    api_url: str = Field("", description="Where the sample service lives")
    api_key: str = secret(description="The sample service's key")
    blocked_domain: str = "blocked.test"
    threshold: int = Field(10, ge=0)


MANIFEST = PluginManifest(
    name="sample_plugin",
    title="Sample plugin",
    version="1.2.3",
    engine=">=0.1,<1",
    settings=SampleSettings,
    piccolo_app="sample_plugin.piccolo_app",
)

blueprint = Blueprint("sample_plugin", __name__, url_prefix="/sample")


@blueprint.get("/ping")
async def ping():
    settings = current_app.runtime.host.settings_for("sample_plugin")
    return {"threshold": settings.threshold, "has_key": bool(settings.api_key)}


async def record(key: str, body: str) -> None:
    """Idempotent by key: a re-run increments ``runs`` but never adds a row."""
    existing = await SampleNote.select().where(SampleNote.key == key).first().run()
    if existing:
        await SampleNote.update({SampleNote.runs: SampleNote.runs + 1}).where(SampleNote.key == key).run()
    else:
        await SampleNote.insert(SampleNote(key=key, body=body, runs=1)).run()


async def write_note(ctx, key: str, body: str) -> str:
    await record(key, body)
    return key


@hookimpl
def jobs_register():
    return [JobDefinition(name="sample_plugin.write_note", func=write_note)]


@hookimpl
async def jobs_handle_event(event):
    await record(f"event:{event.id}", event.name)


@hookimpl
def checkout_validate(checkout, settings):
    if checkout.email.endswith("@" + settings.blocked_domain):
        return {"email": f"Orders from {settings.blocked_domain} are not accepted."}
    return None


@hookimpl
def lifecycle_blueprints():
    return [blueprint]


@hookimpl
def admin_permissions():
    return [Permission("sample:manage", "Manage the sample plugin")]
