"""``shopwright plugin check PATH``: every mistake planted in the fixture package
(tests/support/plugin_mistakes) is found, one line each with file, line and rule;
the bundled plugins and a freshly scaffolded plugin pass."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine.plugins.check import check_plugin
from engine.scaffold import scaffold_plugin

REPO = Path(__file__).resolve().parents[1]
MISTAKES = REPO / "tests" / "support" / "plugin_mistakes"
PACKAGE = "shopwright_plugin_mistakes"


def shopwright(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "SHOPWRIGHT_CONFIG": os.devnull})


def _found(folder: Path) -> set[tuple[str, int, str]]:
    return {(finding.path.relative_to(folder.resolve()).as_posix(), finding.line, finding.rule)
            for finding in check_plugin(folder)}


def test_every_planted_mistake_is_found_where_it_is():
    assert _found(MISTAKES) == {
        (f"{PACKAGE}/bare.py", 1, "manifest-missing"),
        (f"{PACKAGE}/broken.py", 3, "import-failed"),
        (f"{PACKAGE}/plugin.py", 5, "private-import"),        # from engine import db
        (f"{PACKAGE}/plugin.py", 6, "private-import"),        # engine.catalog
        (f"{PACKAGE}/plugin.py", 7, "private-import"),        # engine.testing outside the tests
        (f"{PACKAGE}/plugin.py", 10, "settings-invalid"),
        (f"{PACKAGE}/plugin.py", 14, "engine-range"),
        (f"{PACKAGE}/plugin.py", 14, "manifest-name"),
        (f"{PACKAGE}/plugin.py", 23, "unknown-hook"),
        (f"{PACKAGE}/plugin.py", 28, "wrapper"),
        (f"{PACKAGE}/plugin.py", 33, "unknown-argument"),
        (f"{PACKAGE}/plugin.py", 38, "not-sync"),
        (f"{PACKAGE}/required.py", 7, "settings-default"),
        (f"{PACKAGE}/required.py", 11, "engine-range"),
        ("tests/helpers.py", 2, "private-import"),            # engine.db; engine.testing is allowed there
    }


def test_findings_name_the_fix():
    messages = {(finding.path.name, finding.rule): finding.message for finding in check_plugin(MISTAKES)}
    assert messages[("plugin.py", "unknown-hook")].endswith("did you mean 'payment_gateways' (settings)?")
    assert "'cart' is not one of them" in messages[("plugin.py", "unknown-argument")]
    assert "'mistakes' differs from the entry point name 'plugin_mistakes'" in messages[("plugin.py", "manifest-name")]
    assert "No module named 'shopwright_missing_dependency'" in messages[("broken.py", "import-failed")]
    assert "MistakeSettings.threshold" in messages[("plugin.py", "settings-invalid")]
    assert "none for: api_url" in messages[("required.py", "settings-default")]
    assert messages[("helpers.py", "private-import")].startswith("engine.db is not public API")


def test_the_command_prints_one_line_per_finding_and_exits_1():
    result = shopwright("plugin", "check", str(MISTAKES.relative_to(REPO)))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(check_plugin(MISTAKES)) == 15
    assert f"tests/support/plugin_mistakes/{PACKAGE}/plugin.py:23: unknown-hook payment_gateway: " in lines[8]
    for line in lines:
        where, rule_and_message = line.split(": ", 1)
        path, number = where.rsplit(":", 1)
        assert (REPO / path).is_file() and int(number) >= 1, line
        assert rule_and_message.split(" ", 1)[0].islower(), line
    assert "ok" not in lines


def test_bundled_plugins_and_a_fresh_scaffold_pass(tmp_path):
    scaffold = scaffold_plugin("lint_probe", tmp_path / "shopwright-lint-probe")
    bundled = sorted(str(p) for p in (REPO / "plugins").iterdir() if (p / "pyproject.toml").is_file())
    assert len(bundled) >= 5
    result = shopwright("plugin", "check", *bundled, str(scaffold))
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stdout + result.stderr


def test_a_folder_without_a_package_or_an_entry_point(tmp_path):
    assert [(f.rule, f.path.name) for f in check_plugin(tmp_path)] == [("pyproject", "pyproject.toml")]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "nothing"\nversion = "0.1.0"\n')
    assert [(f.rule, f.line) for f in check_plugin(tmp_path)] == [("entry-point", 1)]


def test_a_file_that_does_not_parse_and_a_module_imported_from_elsewhere(tmp_path):
    first = scaffold_plugin("lint_twice", tmp_path / "first")
    assert check_plugin(first) == []
    second = tmp_path / "second"
    shutil.copytree(first, second)
    (second / "shopwright_lint_twice" / "unfinished.py").write_text("def half(:\n    pass\n")
    entry_line = next(number for number, line in enumerate((second / "pyproject.toml").read_text().splitlines(), 1)
                      if line.startswith("lint_twice ="))
    found = {(f.path.name, f.line, f.rule): f.message for f in check_plugin(second)}
    assert set(found) == {("unfinished.py", 1, "syntax-error"), ("pyproject.toml", entry_line, "import-failed")}
    assert f"not from {second}" in found[("pyproject.toml", entry_line, "import-failed")]
