"""``shopwright theme new NAME``: scaffold a child theme of ``default`` that
passes ``shopwright themes check`` and its own tests.

The distribution (``shopwright-theme-<name-with-dashes>``) registers
``<name>`` under ``shopwright.themes`` and holds: the manifest
(``parent="default"``), a settings model extending the default theme's, a
``base.html`` that extends ``parent:base.html`` to add its stylesheet, the
stylesheet, tests and a README. Either everything is written or nothing: an
existing folder is never touched.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from engine.scaffold import engine_range
from engine.themes.registry import RESERVED_NAMES

NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def validate_name(name: str) -> str:
    if not NAME.fullmatch(name or "") or len(name) > 50:
        raise ValueError(f"theme name {name!r} must be lower_snake_case (a letter first), at most 50 characters")
    if name in RESERVED_NAMES or name == "default":
        raise ValueError(f"theme name {name!r} is reserved")
    return name


def files(name: str) -> dict[str, str]:
    package = f"shopwright_theme_{name}"
    title = name.replace("_", " ").title()
    model = "".join(part.title() for part in name.split("_")) + "Settings"
    return {
        "pyproject.toml": f'''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "shopwright-theme-{name.replace("_", "-")}"
version = "0.1.0"
description = "{title}: a Shopwright storefront theme"
requires-python = ">=3.11"
dependencies = ["shopwright{engine_range()}", "shopwright-theme-default>=0.1,<1"]

[project.entry-points."shopwright.themes"]
{name} = "{package}"

[tool.setuptools.packages.find]
include = ["{package}*"]

[tool.setuptools.package-data]
{package} = ["templates/**/*", "static/**/*"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
''',
        f"{package}/__init__.py": f'''"""{title}: a storefront theme extending ``default``."""
from __future__ import annotations

from pathlib import Path

from engine import ThemeManifest

from {package}.settings import {model}

HERE = Path(__file__).resolve().parent

MANIFEST = ThemeManifest(
    name="{name}",
    title="{title}",
    version="0.1.0",
    engine="{engine_range()}",
    parent="default",
    templates=HERE / "templates",
    static=HERE / "static",
    settings={model},
)
''',
        f"{package}/settings.py": f'''"""What the merchant may change: the default theme's settings, with this
theme's defaults. Add fields here; every field needs a default."""
from __future__ import annotations

from pydantic import Field

from shopwright_theme_default.settings import Colours, DefaultThemeSettings


class {model}(DefaultThemeSettings):
    colours: Colours = Field(default_factory=lambda: Colours(primary="#2f5d50", accent="#c06c2b"))
''',
        f"{package}/templates/base.html": f'''{{#- The default layout, plus this theme's stylesheet. Override any other
    template by creating a file with the same name. -#}}
{{% extends "parent:base.html" %}}
{{% block head %}}
<link rel="stylesheet" href="{{{{ asset_url('css/{name}.css') }}}}">
{{{{ super() }}}}
{{% endblock %}}
''',
        f"{package}/static/css/{name}.css": f"/* {title}: loaded after the default theme's stylesheet. */\n"
                                            + ".site-header { border-bottom-width: 3px; }\n",
        "tests/test_theme.py": f'''"""{title}'s own tests."""
from __future__ import annotations

from pathlib import Path

from engine.testing.themes import check_page_html, check_theme, resolve_target, seed_sample_catalog

ROOT = Path(__file__).resolve().parents[1]


def test_theme_check_passes():
    theme, themes = resolve_target(str(ROOT))
    assert check_theme(theme, themes) == []


async def test_pages_render_with_this_theme(make_app, tmp_path):
    theme, _ = resolve_target(str(ROOT))
    app = await make_app()
    app.theme_state.overrides_dir = tmp_path / "none"
    app.theme_state.themes["{name}"] = theme
    app.theme_state.fallback = "{name}"
    await seed_sample_catalog(app.runtime)
    await app.theme_state.refresh()
    for path in ("/", "/c/shirts", "/p/oxford-shirt"):
        body = await (await app.test_client().get(path)).get_data(as_text=True)
        assert 'data-theme="{name}"' in body and "css/{name}.css" in body, path
        assert check_page_html(body) == [], path
''',
        "README.md": f'''# {title}

A Shopwright storefront theme extending `default`.

    pip install -e .
    shopwright themes check {name}
    shopwright themes activate {name}
    pytest tests

See Shopwright's `docs/themes.md` for template lookup, `parent:`, settings and previews.
''',
    }


def scaffold_theme(name: str, target: Path | None = None) -> Path:
    validate_name(name)
    target = target or Path.cwd() / f"shopwright-theme-{name.replace('_', '-')}"
    if target.exists():
        raise ValueError(f"{target} already exists")
    try:
        for relative, text in files(name).items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
