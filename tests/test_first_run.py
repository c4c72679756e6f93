"""What a new merchant meets in the first minutes: the command line answers in
one line instead of a traceback, a busy port says which one and how to pick
another, start-up prints no warnings from our own packaging or dependencies,
``/admin/`` finds the dashboard and ``staff create`` says where to sign in."""
from __future__ import annotations

import socket
import tomllib
from pathlib import Path

from tests.test_cli import run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_an_export_to_a_missing_folder_is_one_error_line(cli_env, tmp_path):
    run_cli("migrate", env=cli_env)
    for kind in ("orders", "products"):
        result = run_cli("export", kind, str(tmp_path / "missing" / "out.csv"), env=cli_env, check=False)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: No such file or directory"), lines
        assert "missing" in lines[0]


def test_serve_on_a_busy_port_says_so_in_one_line(cli_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--host", "127.0.0.1", "--port", str(port), env=cli_env, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"error: port {port} on 127.0.0.1 is already in use: "
                                     "pick another with --port N (or PORT=N make demo)")


def test_the_command_line_starts_without_warnings(cli_env):
    result = run_cli("--help", env={**cli_env, "PYTHONWARNINGS": "default"})
    assert result.stderr == "", result.stderr


def test_every_distribution_declares_its_licence_as_an_spdx_string():
    """The TOML-table form makes setuptools print a deprecation warning per
    build, dozens of them during ``make demo``."""
    files = [ROOT / "pyproject.toml", *ROOT.glob("plugins/*/pyproject.toml"), *ROOT.glob("themes/*/pyproject.toml")]
    assert len(files) >= 7
    for path in files:
        project = tomllib.loads(path.read_text())["project"]
        assert isinstance(project.get("license"), str), path


def test_staff_create_says_where_to_sign_in(cli_env):
    run_cli("migrate", env=cli_env)
    result = run_cli("staff", "create", "--email", "owner@example.com", "--password-stdin", "--role", "owner",
                     env={**cli_env, "SHOPWRIGHT_STORE__BASE_URL": "https://shop.example/"},
                     input="a long enough password 123\n")
    assert result.stdout.strip().splitlines()[-1] == "sign in at https://shop.example/admin/login"


async def test_admin_with_a_trailing_slash_leads_to_the_dashboard(make_app):
    app = await make_app()
    response = await app.test_client().get("/admin/")
    assert response.status_code == 308
    assert response.headers["Location"] == "/admin"




def test_plugins_that_are_not_ready_say_what_they_lack(cli_env):
    import json

    run_cli("migrate", env=cli_env)
    listed = run_cli("plugins", "list", env=cli_env).stdout
    stripe = listed[listed.index("payments_stripe"):].splitlines()
    assert stripe[1].strip().startswith("NOT READY, needs: publishable_key")
    enabled = run_cli("plugins", "enable", "payments_stripe", env=cli_env).stdout
    assert "not ready yet: configure publishable_key, secret_key, webhook_secret" in enabled
    rows = {row["name"]: row for row in json.loads(run_cli("plugins", "list", "--json", env=cli_env).stdout)["plugins"]}
    assert len(rows["payments_stripe"]["needs"]) == 3
    run_cli("plugins", "configure", "payments_stripe", "publishable_key=pk_test_1", "secret_key=sk_test_1",
            "webhook_secret=whsec_1", env=cli_env)
    rows = {row["name"]: row for row in json.loads(run_cli("plugins", "list", "--json", env=cli_env).stdout)["plugins"]}
    assert rows["payments_stripe"]["needs"] == []
    assert "NOT READY" not in run_cli("plugins", "list", env=cli_env).stdout.split("payments_stripe")[1].split("\n")[1]


def test_make_demo_takes_the_port_from_the_environment():
    import os
    import subprocess

    dry = subprocess.run(["make", "-n", "demo"], cwd=ROOT, env={**os.environ, "PORT": "8101"},
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "serve --host 127.0.0.1 --port 8101" in dry.stdout
