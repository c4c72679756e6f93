"""Plugins and themes installed into the environment of a running process: found
when the stored state asks for them, with no restart; broken ones reported with
their reason on one line; nothing searched for while the state stays the same.

"Installing" writes what pip writes — the module and its ``.dist-info`` folder with
an entry point — into a folder that was on ``sys.path`` before the process started.
(tests/test_live_install.py does the same with pip and a 2-worker server.)
"""
from __future__ import annotations

import asyncio
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from engine.accounts.staff import create_token
from engine.app import create_app
from engine.jobs.arq_queue import make_worker
from engine.plugins import PluginError
from engine.plugins import host as plugin_host
from engine.plugins.host import NOT_INSTALLED, PluginStatus
from engine.runtime import Runtime
from engine.system.tables import PluginState
from engine.testing import cleanup_redis, wait_until
from engine.themes.registry import set_active_theme

DISCOUNT = '''
from engine import Money, PluginManifest, hookimpl
from engine.protocols import Adjustment, JobDefinition

MANIFEST = PluginManifest(name="{name}", title="Installed while running", version="0.1.0", engine=">=0.1,<1")
RAN = []


async def touch(ctx, value):
    RAN.append(value)


@hookimpl
def pricing_adjustments(lines, context):
    return [Adjustment(label="live", amount=Money(-100, context["currency"]), source="{name}")]


@hookimpl
def jobs_register():
    return [JobDefinition(name="{name}.touch", func=touch)]
'''

MISSPELT = '''
from engine import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="{name}", title="Misspelt", version="0.1.0", engine=">=0.1,<1")


@hookimpl
def pricing_adjustment(lines, context):
    return []
'''

THEME = '''
from pathlib import Path
from engine import ThemeManifest

MANIFEST = ThemeManifest(name="{name}", title="Installed while running", version="0.1.0", engine=">=0.1,<1",
                         parent="default", templates=Path(__file__).resolve().parent / "{name}_templates")
'''


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    """A folder on ``sys.path`` (as site-packages is) before any runtime starts."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def install(site: Path, source: str, group: str = "shopwright.plugins", prefix: str = "live") -> str:
    """Install a one-module distribution whose entry point (and manifest) is named
    like the module, a fresh name per call; returns the name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    (site / f"{name}.py").write_text(textwrap.dedent(source.format(name=name)))
    info = site / f"{name}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{name} = {name}\n")
    return name


@pytest.fixture
async def discovering(shopwright_settings):
    """``await discovering(settings, background=...)``: a migrated, started runtime
    that finds its plugins through entry points (no explicit list)."""
    started: list[Runtime] = []

    async def build(settings=None, background: bool = True) -> Runtime:
        runtime = Runtime(settings or shopwright_settings())
        await runtime.connect()
        await runtime.migrate(echo=lambda *_: None, only_enabled=False)
        await runtime.start(background=background)
        started.append(runtime)
        return runtime

    yield build
    for runtime in reversed(started):
        await runtime.stop()
        if runtime.settings.redis_url:
            await cleanup_redis(runtime.settings.redis_url, runtime.settings.jobs.queue_name)


async def test_a_plugin_installed_while_running_is_used_once_enabled_elsewhere(site, discovering,
                                                                               shopwright_settings):
    settings = shopwright_settings()
    server = await discovering(settings)                       # refreshes every 0.2 s
    cli = await discovering(settings, background=False)
    name = install(site, DISCOUNT)
    assert name not in server.host.installed
    await cli.host.enable(name)                                # the CLI finds it: an unknown name is searched for
    await wait_until(lambda: server.host.is_active(name), what="the running process loading it")
    assert server.host.status_of(name).error is None
    await server.queue.enqueue(f"{name}.touch", 7)             # its jobs run in-process at once
    await server.queue.drain()
    assert sys.modules[name].RAN == [7]
    await cli.host.disable(name)
    await wait_until(lambda: not server.host.is_active(name), what="the running process dropping it")


@pytest.mark.redis
async def test_the_job_worker_takes_the_jobs_of_a_plugin_installed_while_it_runs(site, discovering,
                                                                               shopwright_settings, redis_url):
    runtime = await discovering(shopwright_settings(redis_url=redis_url), background=False)
    worker = make_worker(runtime, burst=True)
    try:
        name = install(site, DISCOUNT)
        assert f"{name}.touch" not in worker.functions
        await runtime.host.enable(name)
        assert f"{name}.touch" in worker.functions
        await runtime.queue.enqueue(f"{name}.touch", 3)
        await asyncio.wait_for(worker.main(), 30)
        assert sys.modules[name].RAN == [3]
    finally:
        await worker.close()


async def test_the_steady_state_searches_nothing(site, discovering, monkeypatch):
    runtime = await discovering(background=False)
    searches = []
    real = plugin_host.discover_installed
    monkeypatch.setattr(plugin_host, "discover_installed", lambda **kw: searches.append(kw) or real(**kw))
    for _ in range(5):
        await runtime.host.refresh()
    assert searches == [], "nothing changed: no search"
    await runtime.host.configure("shipping_rates", {})          # any change of the stored state: one search
    for _ in range(5):
        await runtime.host.refresh()
    assert len(searches) == 1

    # The state enables a plugin this process does not have: searched for on each refresh, reported.
    await PluginState.insert(PluginState(name="ghost_plugin", enabled=True, settings="{}")).run()
    searches.clear()
    for _ in range(3):
        await runtime.host.refresh()
    assert len(searches) == 3
    assert runtime.host.errors()["ghost_plugin"] == NOT_INSTALLED
    name = install(site, DISCOUNT, prefix="ghost")
    await PluginState.update({PluginState.name: name}).where(PluginState.name == "ghost_plugin").run()
    await runtime.host.refresh()
    assert runtime.host.is_active(name), "enabled first, installed afterwards: loaded on the next refresh"
    assert runtime.host.errors() == {}
    await PluginState.insert(PluginState(name="ghost_plugin", enabled=True, settings="{}")).run()
    await runtime.host.refresh()
    await runtime.host.disable("ghost_plugin")                # an enabled plugin that is missing can be disabled
    searches.clear()
    await runtime.host.refresh()
    assert "ghost_plugin" not in runtime.host.errors() and searches == []


async def test_a_broken_plugin_installed_while_running_is_reported_everywhere(site, shopwright_settings):
    settings = shopwright_settings()
    migrator = Runtime(settings)
    await migrator.connect()
    await migrator.migrate(echo=lambda *_: None, only_enabled=False)
    await migrator.database.close()
    app = create_app(settings)
    async with app.test_app():
        client = app.test_client()
        assert (await (await client.get("/readyz")).get_json())["plugins"]["errors"] == {}
        broken = install(site, MISSPELT)
        with pytest.raises(PluginError, match="did you mean 'pricing_adjustments'") as refused:
            await app.runtime.host.enable(broken)
        assert "cannot be enabled: invalid hook implementation" in str(refused.value)
        errors = (await (await client.get("/readyz")).get_json())["plugins"]["errors"]
        assert list(errors) == [broken] and "did you mean 'pricing_adjustments'" in errors[broken]
        token, _ = await create_token("ops", ["plugins:write"])
        listed = await client.get("/api/v1/admin/plugins", headers={"Authorization": f"Bearer {token}"})
        items = {item["name"]: item for item in (await listed.get_json())["items"]}
        assert items[broken]["error"] == errors[broken] and not items[broken]["active"]


async def test_a_theme_installed_while_running_is_used_once_activated(site, shopwright_settings):
    settings = shopwright_settings()
    migrator = Runtime(settings)
    await migrator.connect()
    await migrator.migrate(echo=lambda *_: None, only_enabled=False)
    await migrator.database.close()
    app = create_app(settings)
    async with app.test_app():
        client = app.test_client()
        assert 'data-theme="default"' in await (await client.get("/")).get_data(as_text=True)
        name = install(site, THEME, group="shopwright.themes", prefix="theme")
        templates = site / f"{name}_templates"
        templates.mkdir()
        (templates / "base.html").write_text('{% extends "parent:base.html" %}'
                                             '{% block announcement %}<p class="live-theme">new</p>{% endblock %}')
        await set_active_theme(name)
        page = await (await client.get("/")).get_data(as_text=True)
        assert f'data-theme="{name}"' in page and '<p class="live-theme">new</p>' in page
        assert (await (await client.get("/readyz")).get_json())["themes"] == {"active": name, "errors": {}}


def test_a_report_is_one_line_per_plugin():
    status = PluginStatus("p", "P", "1", True, False, False, 100,
                          error="Plugin 'p' for hook 'x'\n  hookimpl definition: x(a)\n\nArgument(s) {'a'} are declared")
    assert status.error == "Plugin 'p' for hook 'x'; hookimpl definition: x(a); Argument(s) {'a'} are declared"
