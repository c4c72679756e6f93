"""`shopwright theme new NAME` scaffolds a child theme that passes its checks and tests."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.themes.check import check_theme, resolve_target
from engine.themes.scaffold import validate_name


def test_scaffolded_theme_passes_check_and_its_own_tests(tmp_path):
    target = tmp_path / "shopwright-theme-autumn-sale"
    result = CliRunner().invoke(main, ["theme", "new", "autumn_sale", "--directory", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "shopwright_theme_autumn_sale" / "templates" / "base.html").is_file()
    theme, themes = resolve_target(str(target))
    assert theme.manifest.parent == "default" and theme.error is None
    assert check_theme(theme, themes) == []
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--shopwright-db=sqlite",
                            str(target / "tests")], capture_output=True, text=True, timeout=300, cwd=target)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    again = CliRunner().invoke(main, ["theme", "new", "autumn_sale", "--directory", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output


@pytest.mark.parametrize("name", ["", "Autumn", "1theme", "core", "parent", "default", "a-b", "x" * 51])
def test_bad_names_are_refused(name):
    with pytest.raises(ValueError):
        validate_name(name)
