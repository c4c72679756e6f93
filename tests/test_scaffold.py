"""``shopwright plugin new``: the scaffolded package's own tests pass, bad
names and existing folders are refused, nothing half-written is left."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.scaffold import engine_range, scaffold_plugin, validate_name


def test_generated_package_passes_its_own_tests(tmp_path):
    target = scaffold_plugin("gift_wrap", tmp_path / "pkg")
    assert target == (tmp_path / "pkg").resolve()
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "pyproject.toml",
        "shopwright_gift_wrap/__init__.py",
        "shopwright_gift_wrap/commands.py",
        "shopwright_gift_wrap/jobs.py",
        "shopwright_gift_wrap/plugin.py",
        "shopwright_gift_wrap/settings.py",
        "tests/test_plugin.py",
    ]
    project = tomllib.loads((target / "pyproject.toml").read_text())["project"]
    assert project["name"] == "shopwright-gift-wrap"
    assert project["entry-points"]["shopwright.plugins"] == {"gift_wrap": "shopwright_gift_wrap.plugin"}
    assert project["dependencies"] == ["shopwright>=0.1,<1"]

    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPWRIGHT_")}
    env["PYTHONPATH"] = str(target)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(target / "tests"), "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_default_folder_is_named_after_the_distribution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = scaffold_plugin("loyalty_points2", None)
    assert target == (tmp_path / "shopwright-loyalty-points2").resolve()
    plugin_py = (target / "shopwright_loyalty_points2" / "plugin.py").read_text()
    assert 'name="loyalty_points2"' in plugin_py
    assert "class LoyaltyPoints2Settings" in (target / "shopwright_loyalty_points2" / "settings.py").read_text()
    assert 'EXAMPLE_JOB = "loyalty_points2.example"' in (target / "shopwright_loyalty_points2" / "jobs.py").read_text()


def test_existing_folder_is_never_touched(tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="already exists"):
        scaffold_plugin("gift_wrap", target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert (target / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name", [
    "", "Gift", "gift-wrap", "gift wrap", "1gift", "_gift", "gift_", "gift__wrap", "gift.wrap",
    "géft", "core", "core_extras", "a" * 51,
])
def test_bad_names_are_refused_and_nothing_is_written(tmp_path, name):
    with pytest.raises(ValueError, match="plugin name"):
        scaffold_plugin(name, tmp_path / "pkg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a", "gift_wrap", "b2b", "x1_y2_z3", "a" * 50])
def test_good_names(name):
    assert validate_name(name) == name


def test_engine_range_follows_the_engine_version():
    assert engine_range("0.1.0") == ">=0.1,<1"
    assert engine_range("1.4.2") == ">=1.4,<2"


def test_cli_verb(tmp_path):
    runner = CliRunner()
    target = tmp_path / "wrap"
    created = runner.invoke(main, ["plugin", "new", "gift_wrap", "--directory", str(target)])
    assert created.exit_code == 0, created.output
    assert f"created {target.resolve()}" in created.output
    assert (target / "shopwright_gift_wrap" / "plugin.py").is_file()

    again = runner.invoke(main, ["plugin", "new", "gift_wrap", "--directory", str(target)])
    assert again.exit_code == 1
    assert "already exists" in again.output

    bad = runner.invoke(main, ["plugin", "new", "Gift-Wrap", "--directory", str(tmp_path / "bad")])
    assert bad.exit_code == 1
    assert "lower_snake_case" in bad.output
    assert not (tmp_path / "bad").exists()
