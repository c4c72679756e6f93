from engine import PluginManifest

MANIFEST = PluginManifest(name="incompatible", title="Needs a future engine", version="9.0.0", engine=">=99")
