"""A broken plugin in the same distribution: its hook name is misspelt, so it is
reported (with "did you mean") and never used."""
from engine import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="live_misspelt", title="Misspelt hook (tests)", version="0.1.0", engine=">=0.1,<1")


@hookimpl
def pricing_adjustment(lines, context):
    return []
