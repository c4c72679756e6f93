"""Mistakes: manifest name, engine range, settings default, four hook mistakes,
three private imports."""
from pydantic import BaseModel, Field

from engine import PluginManifest, db, hookimpl
from engine.catalog import services
from engine.testing import fetch


class MistakeSettings(BaseModel):
    threshold: int = Field(-1, ge=0)


MANIFEST = PluginManifest(
    name="mistakes",
    title="Planted mistakes",
    version="0.1.0",
    engine=">=99",
    settings=MistakeSettings,
)


@hookimpl
def payment_gateway(settings):
    return []


@hookimpl(wrapper=True)
def checkout_validate(checkout):
    return (yield)


@hookimpl
def pricing_adjustments(lines, cart):
    return None


@hookimpl
async def jobs_register():
    return []


USED = (db, services, fetch)
