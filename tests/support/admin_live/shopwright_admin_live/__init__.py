"""A plugin for the admin browser tests, pip-installed while the store runs:
its job ``admin_live.work`` fails (for good: one try) while a file exists at
the ``fail_marker`` setting's path, and its admin page queues the job."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from engine import PluginManifest, hookimpl, sdk
from engine.protocols import JobDefinition


class AdminLiveSettings(BaseModel):
    fail_marker: str = Field("", description="The job fails while a file exists at this path")


MANIFEST = PluginManifest(name="admin_live", title="Admin live (tests)", version="0.2.0", engine=">=0.1,<1",
                          description="A job that fails while a marker file exists", settings=AdminLiveSettings)


async def work(ctx, label: str) -> str:
    settings = ctx["runtime"].host.settings_for("admin_live")
    if settings and settings.fail_marker and Path(settings.fail_marker).exists():
        raise RuntimeError(f"marker file present: {label}")
    return label


async def run(request: sdk.AdminRequest) -> sdk.AdminResponse:
    if request.method == "POST":
        await sdk.enqueue(request.runtime, "admin_live.work", "from the admin", job_id="admin_live:run")
        return sdk.redirect_admin("/admin/plugins/admin_live/run?queued=1")
    return sdk.render_admin(source='<p>{{ "Queued." if queued else "" }}</p>'
                                   '<form method="post">{{ csrf_field() }}<button>Run the job</button></form>',
                            queued=bool(request.args.get("queued")))


@hookimpl
def jobs_register():
    return [JobDefinition(name="admin_live.work", func=work, max_tries=1)]


@hookimpl
def admin_pages():
    return [sdk.AdminPage("run", "Admin live", "plugins:write", run)]
