from engine import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="raising", title="Raises in a hook", version="0.1.0")


@hookimpl
def checkout_validate(checkout):
    raise RuntimeError("validator exploded")
