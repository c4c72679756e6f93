"""A plugin in the same distribution that adds a web route: routes are added when
the web app is built, so a server started before the install serves it only after
a restart."""
from quart import Blueprint

from engine import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="live_routes", title="Live routes (tests)", version="0.1.0", engine=">=0.1,<1")

blueprint = Blueprint("live_routes", __name__)


@blueprint.get("/live-routes/ping")
async def ping():
    return {"pong": True}


@hookimpl
def lifecycle_blueprints():
    return [blueprint]
