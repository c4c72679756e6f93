"""Plugin and theme changes made with the `shopwright` command are in the audit
log, as `cli:<operating-system user>`, with the same actions, targets and
details as the admin API's; refused changes leave no entry. The command runs as
a real subprocess against a real SQLite database, read back with sqlite3."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

SECRET = "sk_test_audit_never_logged_4242"
USER = "audit-operator"


def shopwright(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"shopwright {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def cli(tmp_path):
    """Settings for a fresh, migrated SQLite database, run as the OS user ``USER``
    (getpass reads ``LOGNAME`` first), and the database file's path."""
    path = tmp_path / "audit.sqlite"
    env = {
        "SHOPWRIGHT_DATABASE_URL": f"sqlite:///{path}",
        "SHOPWRIGHT_SECRET_KEY": "audit-cli-secret-key-0123456789",
        "SHOPWRIGHT_CONFIG": os.devnull,
        "LOGNAME": USER,
    }
    shopwright("migrate", env=env)
    return env, path


def audit_rows(path) -> list[dict]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT actor, actor_kind, actor_id, action, target, details FROM audit_log ORDER BY id").fetchall()
    return [{**dict(row), "details": json.loads(row["details"])} for row in rows]


def audit_dump(path) -> str:
    with sqlite3.connect(path) as db:
        return json.dumps(db.execute("SELECT * FROM audit_log").fetchall(), default=str)


def test_plugin_commands_are_audited_as_the_command_line_user(cli):
    env, path = cli
    shopwright("plugins", "enable", "payments_stripe", env=env)
    shopwright("plugins", "configure", "payments_stripe", f"secret_key={SECRET}", "capture=manual", env=env)
    shopwright("plugins", "priority", "payments_stripe", "5", env=env)
    shopwright("plugins", "disable", "payments_stripe", env=env)

    rows = audit_rows(path)
    assert [(r["action"], r["target"], r["details"]) for r in rows] == [
        ("plugin.enable", "name=payments_stripe", {}),
        ("plugin.configure", "name=payments_stripe", {"keys": ["capture", "secret_key"]}),
        ("plugin.priority", "name=payments_stripe", {"priority": 5}),
        ("plugin.disable", "name=payments_stripe", {}),
    ]
    assert {(r["actor"], r["actor_kind"], r["actor_id"]) for r in rows} == {(f"cli:{USER}", "cli", None)}
    dump = audit_dump(path)
    assert SECRET not in dump and "manual" not in dump, "setting values never reach the audit log"


def test_theme_activation_is_audited_as_the_command_line_user(cli):
    env, path = cli
    shopwright("themes", "activate", "boutique", env=env)
    assert [(r["actor"], r["actor_kind"], r["action"], r["target"], r["details"]) for r in audit_rows(path)] == [
        (f"cli:{USER}", "cli", "theme.activate", "name=boutique", {}),
    ]


def test_refused_changes_write_no_entry(cli):
    env, path = cli
    shopwright("plugins", "configure", "payments_stripe", "capture=manual", env=env)
    before = audit_rows(path)
    assert [r["action"] for r in before] == ["plugin.configure"]

    refused = [
        ("plugins", "configure", "payments_stripe", f"secret_key={SECRET}", "capture=sometimes"),  # bad value
        ("plugins", "configure", "payments_stripe", "colour=red"),  # no such setting
        ("plugins", "enable", "no_such_plugin"),
        ("plugins", "priority", "no_such_plugin", "3"),
        ("themes", "activate", "no_such_theme"),
    ]
    for args in refused:
        result = shopwright(*args, env=env, check=False)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
    assert audit_rows(path) == before
    assert SECRET not in audit_dump(path)
    shown = json.loads(shopwright("plugins", "show", "payments_stripe", env=env).stdout)
    assert shown["settings"]["capture"] == "manual" and shown["settings"]["secret_key"] == ""
