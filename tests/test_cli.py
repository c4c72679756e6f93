"""The `shopwright` command, run as a real subprocess against a real database."""
from __future__ import annotations

import json
from decimal import Decimal
import os
import subprocess
import sys

import click
from click.testing import CliRunner

from engine.cli import main

BUNDLED_PLUGINS = {"payments_stripe", "payments_paypal", "payments_razorpay", "shipping_rates", "erp_sync"}


def run_cli(*args: str, env: dict, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        env={**os.environ, **env}, input=input, capture_output=True, text=True, timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"shopwright {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_help_on_every_verb():
    runner = CliRunner()
    for path in _commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_init_writes_config_with_a_fresh_secret_and_migrates(tmp_path):
    env = {"SHOPWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'init.sqlite'}"}
    config = tmp_path / "config" / "shopwright.toml"
    result = run_cli("init", "--path", str(config), env=env)
    assert config.exists() and "applied system" in result.stdout
    text = config.read_text()
    assert "__SECRET_KEY__" not in text and 'secret_key = "' in text
    again = run_cli("init", "--path", str(config), env=env)
    assert "keeping it" in again.stdout and "0 migration(s) applied" in again.stdout


def test_bad_setting_stops_with_one_line(cli_env):
    result = run_cli("migrate", env={**cli_env, "SHOPWRIGHT_JOBS__MAX_TRIES": "lots"}, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "jobs.max_tries" in lines[0] and "SHOPWRIGHT_JOBS__MAX_TRIES" in lines[0]


def test_commands_before_migrate_say_so(cli_env):
    result = run_cli("plugins", "list", env=cli_env, check=False)
    assert result.returncode == 1
    assert "shopwright migrate" in result.stderr


def test_plugins_list_shows_bundled_plugins_and_themes(cli_env):
    run_cli("migrate", env=cli_env)
    listing = json.loads(run_cli("plugins", "list", "--json", env=cli_env).stdout)
    plugins = {p["name"]: p for p in listing["plugins"]}
    assert BUNDLED_PLUGINS <= set(plugins), plugins
    for name in BUNDLED_PLUGINS:
        assert plugins[name]["version"] and plugins[name]["enabled"] is False and plugins[name]["error"] is None
    themes = {t["name"]: t for t in listing["themes"]}
    assert "default" in themes and themes["default"]["version"]
    text = run_cli("plugins", "list", env=cli_env).stdout
    for name in BUNDLED_PLUGINS | {"default"}:
        assert name in text
    assert "ENABLED" in text and "VERSION" in text


def test_plugins_enable_configure_show_disable(cli_env):
    run_cli("migrate", env=cli_env)
    assert "enabled payments_stripe" in run_cli("plugins", "enable", "payments_stripe", env=cli_env).stdout
    out = run_cli("plugins", "configure", "payments_stripe", "secret_key=sk_test_123456", "capture=manual", env=cli_env).stdout
    assert "sk_test_123456" not in out and "capture = manual" in out
    shown = json.loads(run_cli("plugins", "show", "payments_stripe", env=cli_env).stdout)
    assert shown["enabled"] is True and shown["settings"]["secret_key"] == "********"
    assert shown["settings"]["capture"] == "manual" and shown["settings_schema"]["secret_key"]["secret"] is True
    bad = run_cli("plugins", "configure", "payments_stripe", "capture=sometimes", env=cli_env, check=False)
    assert bad.returncode == 1 and "capture" in bad.stderr
    unknown = run_cli("plugins", "configure", "payments_stripe", "colour=red", env=cli_env, check=False)
    assert unknown.returncode == 1 and "colour" in unknown.stderr
    assert "disabled" in run_cli("plugins", "disable", "payments_stripe", env=cli_env).stdout
    assert json.loads(run_cli("plugins", "show", "payments_stripe", env=cli_env).stdout)["enabled"] is False
    missing = run_cli("plugins", "enable", "nope", env=cli_env, check=False)
    assert missing.returncode == 1 and "no plugin named 'nope' is installed in this environment" in missing.stderr
    assert "enabled" not in missing.stdout


def test_amounts_and_rates_are_typed_as_merchants_write_them(cli_env):
    """``price=4.90`` is 4.90 euros (stored as 490 cents), ``rates=DE=19 %`` is
    19 percent; ``4,90`` and ``DE=0.19`` are refused as ambiguous, never rescaled."""
    run_cli("migrate", env=cli_env)
    out = run_cli("plugins", "configure", "core_shipping", "price=4.90", "free_over=50", env=cli_env).stdout
    assert "core_shipping.price = 4.90 EUR" in out and "core_shipping.free_over = 50.00 EUR" in out
    shown = json.loads(run_cli("plugins", "show", "core_shipping", env=cli_env).stdout)["settings"]
    assert (shown["price"], shown["free_over"]) == (490, 5000)
    comma = run_cli("plugins", "configure", "core_shipping", "price=4,90", env=cli_env, check=False)
    assert comma.returncode == 1 and "price" in comma.stderr and "point" in comma.stderr
    fraction = run_cli("plugins", "configure", "core_tax", "rates=DE=0.19", env=cli_env, check=False)
    assert fraction.returncode == 1 and "19 %" in fraction.stderr
    run_cli("plugins", "configure", "core_tax", "rates=DE=19 %, DE:reduced=7%, FR=20", env=cli_env)
    rates = json.loads(run_cli("plugins", "show", "core_tax", env=cli_env).stdout)["settings"]["rates"]
    assert {key: Decimal(str(value)) for key, value in rates.items()} == {"DE": 19, "DE:reduced": 7, "FR": 20}
    assert json.loads(run_cli("plugins", "show", "core_shipping", env=cli_env).stdout)["settings"]["price"] == 490


def test_themes_list_and_activate(cli_env):
    run_cli("migrate", env=cli_env)
    names = [t["name"] for t in json.loads(run_cli("themes", "list", "--json", env=cli_env).stdout)]
    assert "default" in names
    child = next(n for n in names if n != "default")
    assert f"active theme: {child}" in run_cli("themes", "activate", child, env=cli_env).stdout
    active = [t["name"] for t in json.loads(run_cli("themes", "list", "--json", env=cli_env).stdout) if t["active"]]
    assert active == [child]
    assert run_cli("themes", "activate", "no-such-theme", env=cli_env, check=False).returncode == 1


async def test_staff_and_token_creation_work_against_the_admin_api(cli_env, make_app):
    run_cli("migrate", env=cli_env)
    created = run_cli("staff", "create", "--email", "Owner@Example.test", "--password-stdin", "--role", "owner",
                      env=cli_env, input="correct horse battery staple\n")
    assert "owner@example.test" in created.stdout
    dup = run_cli("staff", "create", "--email", "owner@example.test", "--password-stdin", env=cli_env,
                  input="correct horse battery staple\n", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    short = run_cli("staff", "create", "--email", "x@example.test", "--password-stdin", env=cli_env, input="short\n", check=False)
    assert short.returncode == 1 and "at least 12" in short.stderr

    out = run_cli("tokens", "create", "--name", "deploy", "--scopes", "catalog:read,plugins:write", env=cli_env).stdout
    token = out.strip().splitlines()[-1]
    assert token.startswith("swt_") and " " not in token
    assert run_cli("tokens", "create", "--name", "x", "--scopes", "root", env=cli_env, check=False).returncode == 1

    app = await make_app(database_url=cli_env["SHOPWRIGHT_DATABASE_URL"], secret_key=cli_env["SHOPWRIGHT_SECRET_KEY"])
    client = app.test_client()
    ok = await client.get("/api/v1/admin/plugins", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    from engine.accounts.staff import verify_staff_password

    assert await verify_staff_password("owner@example.test", "correct horse battery staple")
    assert not await verify_staff_password("owner@example.test", "wrong password!!")


def test_worker_requires_redis(cli_env):
    result = run_cli("worker", env=cli_env, check=False)
    assert result.returncode == 1 and "SHOPWRIGHT_REDIS_URL" in result.stderr
