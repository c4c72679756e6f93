"""Commands plugins add to ``shopwright`` (``cli_commands``): listed for every
installed, usable plugin without reading the shop, run only while the plugin
is enabled, against the shop the invocation is configured for."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import sdk_fixture.plugin as fixture
from click.testing import CliRunner

from engine import PluginManifest, hookimpl
from engine.cli import main
from engine.testing.checkout import add_product

SUPPORT = Path(__file__).resolve().parents[1] / "support"


def _plugin(name: str, commands):
    class Plugin:
        MANIFEST = PluginManifest(name=name, title=name)

        @hookimpl
        def cli_commands(self):
            return commands()

    return Plugin()


def _raise():
    raise RuntimeError("no commands today")


def test_hook_cli_commands():
    clash = _plugin("aaa_clash", lambda: [click.Command("plugins"), "not a command", click.Command("extra")])
    twin = _plugin("zzz_twin", lambda: [click.Group("sdkfix")])
    broken = _plugin("broken_cli", _raise)
    cli = main.with_plugins([fixture, clash, twin, broken])
    runner = CliRunner()
    result = runner.invoke(cli, ["--help"], env={"SHOPWRIGHT_DATABASE_URL": "sqlite:////nonexistent/x.sqlite"})
    assert result.exit_code == 0, result.output
    assert "sdkfix" in result.output and "The SDK fixture's commands." in result.output
    assert "extra" in result.output and "migrate" in result.output
    assert "the command name 'plugins' is taken" in result.stderr
    assert "'not a command' is not a named click command" in result.stderr
    assert "plugin 'zzz_twin': the command name 'sdkfix' is taken" in result.stderr
    assert "plugin 'broken_cli': cli_commands failed (raised RuntimeError: no commands today)" in result.stderr
    assert cli.get_command(click.Context(cli), "plugins") is main.commands["plugins"], "the engine's own wins"

    # help needs no shop; the plugin's objects are left as they were
    for args in (["sdkfix", "--help"], ["sdkfix", "stock", "--help"]):
        result = runner.invoke(cli, args, env={"SHOPWRIGHT_DATABASE_URL": "sqlite:////nonexistent/x.sqlite"})
        assert result.exit_code == 0 and "Usage:" in result.output, result.output
    assert fixture.sdkfix.commands["stock"].invoke.__func__ is click.Command.invoke


def test_engine_commands_do_not_load_plugins():
    code = ("import sys; from click.testing import CliRunner; from engine.cli import main;"
            "r = CliRunner().invoke(main, ['migrate', '--help']); assert r.exit_code == 0, r.output;"
            "print(sorted(m for m in sys.modules if m.startswith('shopwright_')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _installed_fixture(tmp_path: Path, database_url: str) -> dict:
    """Environment for a ``shopwright`` process in which the fixture plugin is
    an installed distribution (a dist-info folder with its entry point)."""
    site = tmp_path / "site"
    info = site / "shopwright_sdk_fixture-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shopwright-sdk-fixture\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[shopwright.plugins]\nsdk_fixture = sdk_fixture.plugin\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(SUPPORT)]),
            "SHOPWRIGHT_DATABASE_URL": database_url,
            "SHOPWRIGHT_SECRET_KEY": "cli-test-secret-key-0123456789", "SHOPWRIGHT_CONFIG": os.devnull,
            "PYTHONWARNINGS": "ignore"}


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


async def test_a_plugin_command_runs_only_while_its_plugin_is_enabled(tmp_path, make_runtime, database_url):
    env = _installed_fixture(tmp_path, database_url)
    assert _cli(env, "migrate").returncode == 0
    listed = _cli(env, "--help")
    assert listed.returncode == 0 and "sdkfix" in listed.stdout

    refused = _cli(env, "sdkfix", "stock", "FIX-1=7")
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        "error: plugin 'sdk_fixture' is not enabled: run `shopwright plugins enable sdk_fixture`")

    assert _cli(env, "plugins", "enable", "sdk_fixture").returncode == 0
    runtime = await make_runtime(database_url=env["SHOPWRIGHT_DATABASE_URL"], enable=[])
    await add_product(runtime, "FIX-1", stock=2, slug="fix-1")
    await runtime.stop()

    ran = _cli(env, "sdkfix", "stock", "FIX-1=7")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "changed: FIX-1; unchanged: -"
    assert _cli(env, "sdkfix", "stock", "FIX-1=7").stdout.strip() == "changed: -; unchanged: FIX-1"
    shown = _cli(env, "sdkfix", "show", "fix-1")
    assert json.loads(shown.stdout) == {"slug": "fix-1", "status": "published", "variants": {"FIX-1": 7}}
    unknown = _cli(env, "sdkfix", "stock", "NOPE=1")
    assert unknown.returncode == 1 and "error: quantities: no variant for 1 SKU(s): 'NOPE'" in unknown.stderr

    assert _cli(env, "plugins", "disable", "sdk_fixture").returncode == 0
    again = _cli(env, "sdkfix", "show", "fix-1")
    assert again.returncode == 1 and "is not enabled" in again.stderr
