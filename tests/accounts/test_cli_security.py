"""CLI: ``tokens list|revoke`` and ``staff require-2fa``; ``staff create`` and
``tokens create`` keep their contract; the changes these commands make are in
the audit log with the command line's actor (``cli:<user>``)."""
from __future__ import annotations

import getpass
import json
import os
import sqlite3
import subprocess
import sys

import pytest


def run_cli(*args: str, env: dict, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "engine.cli", *args], env={**os.environ, **env}, input=input,
                            capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"shopwright {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def cli_env(tmp_path) -> dict:
    env = {"SHOPWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "SHOPWRIGHT_SECRET_KEY": "cli-test-secret-key-0123456789", "SHOPWRIGHT_CONFIG": os.devnull}
    run_cli("migrate", env=env)
    return env


async def test_tokens_list_and_revoke(cli_env, make_app):
    out = run_cli("tokens", "create", "--name", "deploy", "--scopes", "catalog:read,orders:read",
                  "--expires-days", "7", env=cli_env).stdout
    token = out.strip().splitlines()[-1]
    assert token.startswith("swt_") and " " not in token
    listed = run_cli("tokens", "list", env=cli_env).stdout
    assert "deploy" in listed and token[:10] in listed and token not in listed and "active" in listed
    app = await make_app(database_url=cli_env["SHOPWRIGHT_DATABASE_URL"], secret_key=cli_env["SHOPWRIGHT_SECRET_KEY"])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/admin/orders", headers=headers)).status_code == 200
    revoked = run_cli("tokens", "revoke", token[:10], env=cli_env).stdout
    assert "revoked token 'deploy'" in revoked
    assert (await client.get("/api/v1/admin/orders", headers=headers)).status_code == 401
    assert "already revoked" in run_cli("tokens", "revoke", "1", env=cli_env).stdout
    assert '"state": "revoked"' in run_cli("tokens", "list", "--json", env=cli_env).stdout
    missing = run_cli("tokens", "revoke", "swt_nope", env=cli_env, check=False)
    assert missing.returncode == 1 and "no token" in missing.stderr


def test_staff_require_2fa(cli_env):
    created = run_cli("staff", "create", "--email", "Owner@Example.test", "--password-stdin", "--role", "owner",
                      env=cli_env, input="correct horse battery staple\n")
    assert "owner@example.test" in created.stdout
    common = run_cli("staff", "create", "--email", "x@example.test", "--password-stdin", env=cli_env,
                     input="password1234\n", check=False)
    assert common.returncode == 1 and "too common" in common.stderr
    assert "optional" in run_cli("staff", "require-2fa", "status", env=cli_env).stdout
    assert "required" in run_cli("staff", "require-2fa", "on", env=cli_env).stdout
    assert "required" in run_cli("staff", "require-2fa", "status", env=cli_env).stdout
    assert "optional" in run_cli("staff", "require-2fa", "off", env=cli_env).stdout
    forced = run_cli("staff", "require-2fa", "status", env={**cli_env, "SHOPWRIGHT_SECURITY__REQUIRE_STAFF_2FA": "true"})
    assert "required (forced by security.require_staff_2fa)" in forced.stdout


def _audit_entries(env: dict, action: str) -> list[dict]:
    """The audit entries of ``action`` in the CLI's database, oldest first."""
    path = env["SHOPWRIGHT_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT actor, actor_kind, action, target, details FROM audit_log "
                                  "WHERE action = ? ORDER BY id", (action,)).fetchall()
    return [{**dict(row), "details": json.loads(row["details"])} for row in rows]


def _only(entries: list[dict]) -> dict:
    assert len(entries) == 1, f"expected one audit entry, found {entries}"
    return entries[0]


def test_staff_commands_are_in_the_audit_log(cli_env):
    actor = f"cli:{getpass.getuser()}"
    run_cli("staff", "create", "--email", "Owner@Example.test", "--password-stdin", "--role", "owner",
            env=cli_env, input="correct horse battery staple\n")
    created = _only(_audit_entries(cli_env, "staff.create"))
    assert created["actor"] == actor and created["actor_kind"] == "cli"
    assert created["target"].startswith("staff:")
    assert created["details"] == {"email": "owner@example.test", "role": "owner"}
    run_cli("staff", "require-2fa", "on", env=cli_env)
    run_cli("staff", "require-2fa", "status", env=cli_env)
    run_cli("staff", "require-2fa", "off", env=cli_env)
    policy = _audit_entries(cli_env, "security.require_staff_2fa")
    assert [(entry["actor"], entry["details"]) for entry in policy] == \
        [(actor, {"required": True}), (actor, {"required": False})], "status changes nothing: not recorded"


def test_token_commands_are_in_the_audit_log(cli_env):
    actor = f"cli:{getpass.getuser()}"
    run_cli("tokens", "create", "--name", "deploy", "--scopes", "orders:read,catalog:read", "--expires-days", "7",
            env=cli_env)
    created = _only(_audit_entries(cli_env, "token.create"))
    assert created["actor"] == actor and created["actor_kind"] == "cli"
    assert created["details"] == {"name": "deploy", "scopes": ["catalog:read", "orders:read"], "expires_days": 7}
    listed = json.loads(run_cli("tokens", "list", "--json", env=cli_env).stdout)
    assert created["target"] == f"token:{listed[0]['id']}" and listed[0]["created_by"] == actor
    run_cli("tokens", "revoke", str(listed[0]["id"]), env=cli_env)
    run_cli("tokens", "revoke", str(listed[0]["id"]), env=cli_env)
    revoked = _audit_entries(cli_env, "token.revoke")
    assert [(entry["actor"], entry["target"], entry["details"]) for entry in revoked] == \
        [(actor, created["target"], {"name": "deploy"})], "revoking a revoked token changes nothing: not recorded"
