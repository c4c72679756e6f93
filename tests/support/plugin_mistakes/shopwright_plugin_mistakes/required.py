"""Mistakes: no engine range, a setting without a default."""
from pydantic import BaseModel

from engine import PluginManifest


class RequiredSettings(BaseModel):
    api_url: str


MANIFEST = PluginManifest(name="mistakes_required", title="Required setting", settings=RequiredSettings)
