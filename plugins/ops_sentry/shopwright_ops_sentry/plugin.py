"""The ``ops_sentry`` plugin: thin hook implementations over :mod:`.client`."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from shopwright_ops_sentry import client
from shopwright_ops_sentry.settings import SentrySettings

MANIFEST = PluginManifest(
    name="ops_sentry",
    title="Sentry error tracking",
    version="0.1.0",
    description="Sends unexpected errors in requests, failed jobs and failing plugin hooks to Sentry, "
                "with personal data scrubbed",
    engine=">=0.1,<1",
    settings=SentrySettings,
)


@hookimpl
def lifecycle_activation(active, settings):
    if active and settings is not None:
        client.start(settings)
    else:
        client.close()


@hookimpl
def lifecycle_failure(failure):
    client.capture_failure(failure)
