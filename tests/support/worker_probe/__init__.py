"""A test plugin that names the worker process serving a storefront page: it
adds ``https://worker-<pid>.probe.test`` to the page's Content-Security-Policy
``img-src``, so a test talking to a multi-worker server can tell which process
answered (tests/test_live_install.py)."""
from __future__ import annotations

import os

from engine import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="worker_probe", title="Worker probe (tests)", version="0.0.1", engine=">=0.1,<1")


@hookimpl
def theme_csp_sources():
    return {"img-src": [f"https://worker-{os.getpid()}.probe.test"]}
