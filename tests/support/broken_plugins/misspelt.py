from engine import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="misspelt", title="Misspelt hook", version="0.1.0")


@hookimpl
def payment_gateway():  # the spec is payment_gateways
    return []
