from engine import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="wrapper", title="Wrapper hookimpl", version="0.1.0")


@hookimpl(wrapper=True)
def pricing_adjustments(lines, context):  # wrappers are refused: the core calls each hookimpl itself
    result = yield
    return result


@hookimpl
def payment_gateways(settings, cart):  # payment_gateways takes only settings
    return []
