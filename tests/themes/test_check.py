"""`shopwright themes check` finds each kind of problem, with file:line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.themes.check import check_theme, resolve_target

FIXTURE = Path(__file__).parent / "fixtures" / "broken_theme"
TEMPLATES = "broken_theme/templates"


@pytest.fixture(scope="module")
def problems():
    theme, themes = resolve_target(str(FIXTURE))
    return [str(p) for p in check_theme(theme, themes)]


def _has(problems, file: str, line: int, text: str) -> bool:
    return any(p.startswith(f"{FIXTURE.relative_to(Path.cwd()) if FIXTURE.is_relative_to(Path.cwd()) else FIXTURE}/"
                            f"{TEMPLATES}/{file}:{line}: ") and text in p for p in problems)


@pytest.mark.parametrize("file,line,text", [
    ("syntax.html", 3, "template syntax error"),
    ("missing_include.html", 2, "include of missing template 'partials/does-not-exist.html'"),
    ("missing_include.html", 5, "import of missing template 'macros/nope.html'"),
    ("cart.html", 1, "extends of missing template 'parent:no-such-page.html'"),
    ("settings.html", 3, "theme.colours.primray is not a setting"),
    ("settings.html", 4, "theme.missing_setting is not a setting"),
    ("settings.html", 5, "theme.banners.0.headline is not a setting"),
    ("images.html", 2, "<img> has no alt attribute"),
    ("assets.html", 3, "asset_url('css/missing.css'): no such file"),
    ("assets.html", 4, "image_src('images/missing.png'): no such file"),
    ("csp.html", 1, "inline <script> without nonce"),
    ("csp.html", 4, "style=\"...\" attributes are blocked"),
    ("csp.html", 5, "inline event handlers"),
    ("csp.html", 6, "inline <style> without nonce"),
])
def test_each_kind_of_problem_is_found_with_its_line(problems, file, line, text):
    assert _has(problems, file, line, text), "\n".join(problems)


def test_correct_lines_are_not_reported(problems):
    noise = [p for p in problems if any(f"{TEMPLATES}/{name}:" in p for name in ("product.html",))]
    assert noise == []
    for fine in ("settings.html:1:", "settings.html:2:", "images.html:1:", "images.html:4:", "assets.html:1:",
                 "assets.html:2:", "assets.html:5:", "csp.html:2:", "csp.html:3:", "missing_include.html:3:",
                 "missing_include.html:4:"):
        assert not any(fine in p for p in problems), fine


def test_settings_model_without_defaults_is_reported(problems):
    assert any("needs a default for every field (none for: required_text)" in p for p in problems)


def test_cli_exit_codes():
    runner = CliRunner()
    broken = runner.invoke(main, ["themes", "check", str(FIXTURE)])
    assert broken.exit_code == 1
    assert "csp.html:1: inline <script>" in broken.output
    assert "theme broken: 15 problem(s)" in broken.output
    good = runner.invoke(main, ["themes", "check", "boutique"])
    assert good.exit_code == 0, good.output
    assert "theme boutique: ok" in good.output
    unknown = runner.invoke(main, ["themes", "check", "no_such_theme"])
    assert unknown.exit_code == 1 and "no theme named 'no_such_theme'" in unknown.output


def test_installed_themes_pass_from_the_command_line():
    result = subprocess.run([str(Path(sys.executable).parent / "shopwright"), "themes", "check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "theme default: ok" in result.stdout and "theme boutique: ok" in result.stdout


def test_a_child_theme_whose_settings_miss_what_parent_templates_use(tmp_path):
    """Settings references in inherited templates are checked against the child's model."""
    from pydantic import BaseModel

    from engine import ThemeManifest
    from engine.themes import registry

    class Tiny(BaseModel):
        tagline: str = ""

    (tmp_path / "templates").mkdir()
    child = registry.inspect_theme(ThemeManifest(name="tiny", title="Tiny", parent="default",
                                                 templates=tmp_path / "templates", settings=Tiny))
    themes = {**registry.discover_themes(), "tiny": child}
    problems = [str(p) for p in check_theme(child, themes)]
    assert any("default/templates/partials/theme_style.html:" in p
               and "theme.colours is not a setting of theme 'tiny'" in p for p in problems), problems
    assert any("default/templates/home.html:" in p and "theme.banners is not a setting" in p for p in problems)
