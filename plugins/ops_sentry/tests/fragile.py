"""A plugin that fails on purpose, for the error-tracking tests: a route that
raises (``GET /fragile/boom``), a request hook that raises when armed
(``theme_csp_sources``, called for every HTML page) and a job that raises
(``fragile.explode``, one try). Every message carries personal data."""
from __future__ import annotations

from quart import Blueprint

from engine import PluginManifest, hookimpl
from engine.protocols import JobDefinition

MANIFEST = PluginManifest(name="fragile", title="Fragile", version="0.1.0")

EMAIL = "ada.lovelace@example.test"
CARD = "4242 4242 4242 4242"
TOKEN = "Sup3rS3cretAccessT0kenValue9876"
PERSONAL = f"for {EMAIL} paying with {CARD} (token {TOKEN})"

armed: dict[str, bool] = {"csp": False}
blueprint = Blueprint("fragile", __name__)


@blueprint.get("/fragile/boom")
async def boom():
    raise RuntimeError(f"request exploded {PERSONAL}")


@hookimpl
def lifecycle_blueprints():
    return [blueprint]


@hookimpl
def theme_csp_sources():
    if armed["csp"]:
        armed["csp"] = False
        raise ValueError(f"hook exploded {PERSONAL}")
    return None


async def explode(ctx):
    raise LookupError(f"job exploded {PERSONAL}")


@hookimpl
def jobs_register():
    return [JobDefinition("fragile.explode", explode, max_tries=1)]
