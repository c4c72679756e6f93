"""The ``ops_sentry`` plugin: thin hook implementations over :mod:`.client`."""
from __future__ import annotations

import sys

from engine import PluginManifest, hookimpl
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


def _client():
    """The client module once the plugin has started it, else None: sentry-sdk
    is imported only by a process that reports to Sentry."""
    return sys.modules.get("shopwright_ops_sentry.client")


@hookimpl
def lifecycle_activation(active, settings):
    if active and settings is not None:
        from shopwright_ops_sentry import client

        client.start(settings)
    elif (client := _client()) is not None:
        client.close()


@hookimpl
def lifecycle_failure(failure):
    if (client := _client()) is not None:
        client.capture_failure(failure)
