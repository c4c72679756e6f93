"""``shopwright plugin new NAME``: scaffold a plugin package whose tests pass.

The package is a distribution of its own (``shopwright-<name-with-dashes>``)
registered under the ``shopwright.plugins`` entry point group, laid out as the
bundled plugins are: ``shopwright_<name>/plugin.py`` (manifest and thin
hookimpls), ``settings.py`` (a pydantic model with one secret field),
``jobs.py`` (one example job, ``<name>.example``), ``commands.py`` (a
``shopwright <name-with-dashes> greet`` command), ``tests/`` using the
``engine.testing`` fixtures, and a README. The package imports only the
public API (``engine``, ``engine.sdk``, ``engine.protocols``; its tests add
``engine.testing``).

Either the whole package is written or nothing is: an existing folder is
never touched, and a failure half-way removes what was written.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from string import Template

from packaging.version import Version

from engine import __version__

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_NAME_LENGTH = 50
RESERVED_PREFIX = "core"


def validate_name(name: str) -> str:
    """Return ``name`` if it can name a plugin, else raise ValueError saying why.

    A plugin name is lower_snake_case (a letter first, then lowercase letters,
    digits and single underscores), at most 50 characters; names starting
    with ``core`` belong to the engine's own plugins.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("plugin name must not be empty")
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"plugin name {name!r} must be lower_snake_case: a letter first, then lowercase letters, "
            "digits and single underscores (e.g. gift_wrap)"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"plugin name {name!r} is longer than {MAX_NAME_LENGTH} characters")
    if name.startswith(RESERVED_PREFIX):
        raise ValueError(f"plugin name {name!r}: names starting with {RESERVED_PREFIX!r} are reserved for the engine")
    return name


def engine_range(version: str = __version__) -> str:
    """The compatible-engine specifier for plugins written against ``version``:
    from its major.minor up to the next major (``0.1.0`` -> ``>=0.1,<1``)."""
    v = Version(version)
    return f">={v.major}.{v.minor},<{v.major + 1}"


def scaffold_plugin(name: str, target: Path | None = None) -> Path:
    """Create the package for plugin ``name`` in ``target`` (default:
    ``./shopwright-<name-with-dashes>``) and return its absolute path.

    Raises ValueError for a bad name or when ``target`` already exists.
    """
    validate_name(name)
    folder = Path(target) if target is not None else Path.cwd() / f"shopwright-{name.replace('_', '-')}"
    if folder.exists():
        raise ValueError(f"{folder} already exists; refusing to overwrite it")
    files = render(name)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir()
    except FileExistsError:
        raise ValueError(f"{folder} already exists; refusing to overwrite it") from None
    try:
        for relative, text in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder.resolve()


def render(name: str) -> dict[str, str]:
    """The package's files (relative path -> text) for plugin ``name``."""
    words = name.split("_")
    values = {
        "name": name,
        "package": f"shopwright_{name}",
        "distribution": f"shopwright-{name.replace('_', '-')}",
        "title": " ".join(words).capitalize(),
        "cls": "".join(word.capitalize() for word in words),
        "engine_range": engine_range(),
        "command": name.replace("_", "-"),
    }
    package = values["package"]
    return {
        relative.replace("PACKAGE", package): Template(text).substitute(values)
        for relative, text in _FILES.items()
    }


_FILES: dict[str, str] = {}

_FILES["pyproject.toml"] = '''\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "$title: a Shopwright plugin"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["shopwright$engine_range"]

[project.optional-dependencies]
test = ["pytest>=8", "pytest-asyncio>=0.24"]

# The entry point name must equal MANIFEST.name.
[project.entry-points."shopwright.plugins"]
$name = "$package.plugin"

[tool.setuptools.packages.find]
include = ["$package*"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
addopts = "-ra --import-mode=importlib"
'''

_FILES["PACKAGE/__init__.py"] = '''\
"""$title: a Shopwright plugin.

The plugin module is :mod:`$package.plugin` (entry point ``$name`` in the
``shopwright.plugins`` group).
"""
'''

_FILES["PACKAGE/plugin.py"] = '''\
"""The ``$name`` plugin: its manifest and thin hook implementations.

Keep the hookimpls here short: they hand work to the modules next to this
one. Every hook and its contract is listed in the hook specifications
(``engine/hookspecs/``); a misspelt hook name makes the plugin unusable.
"""
from __future__ import annotations

import click

from engine import PluginManifest, hookimpl
from engine.protocols import JobDefinition

from $package.commands import commands
from $package.jobs import EXAMPLE_JOB, example
from $package.settings import ${cls}Settings

MANIFEST = PluginManifest(
    name="$name",
    title="$title",
    version="0.1.0",
    engine="$engine_range",
    description="$title: a Shopwright plugin.",
    settings=${cls}Settings,
)


@hookimpl
def jobs_register() -> list[JobDefinition]:
    """Background jobs of this plugin, named ``$name.<task>``."""
    return [JobDefinition(name=EXAMPLE_JOB, func=example)]


@hookimpl
def cli_commands() -> list[click.Command]:
    """``shopwright $command ...``: run only while the plugin is enabled."""
    return [commands]
'''

_FILES["PACKAGE/settings.py"] = '''\
"""Settings of the $title plugin, edited by the merchant in the admin or with
``shopwright plugins configure $name key=value``.

Every field needs a default so the plugin can be enabled before it is
configured. Fields made with ``secret()`` are stored encrypted and shown masked.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from engine import secret


class ${cls}Settings(BaseModel):
    greeting: str = Field("Hello", min_length=1, max_length=100, description="What the example job says")
    api_key: str = secret(description="API key of the service this plugin talks to")
'''

_FILES["PACKAGE/jobs.py"] = '''\
"""Background jobs of the $title plugin.

A job runs in the worker (or the in-process runner) at least once, so it
must be idempotent; an exception is retried with backoff. ``ctx["runtime"]``
is the running shop. A job of a disabled plugin is dropped, not run.
"""
from __future__ import annotations

from typing import Any

from engine import sdk

EXAMPLE_JOB = "$name.example"


async def greeting(runtime: Any, who: str) -> str:
    """The configured greeting for ``who``."""
    settings = sdk.plugin_settings(runtime, "$name")
    return f"{settings.greeting}, {who}!"


async def example(ctx: dict[str, Any], who: str) -> str:
    """Greet ``who`` with the configured greeting (no side effects)."""
    return await greeting(ctx["runtime"], who)
'''

_FILES["PACKAGE/commands.py"] = '''\
"""``shopwright $command ...``: the $title plugin's commands (``cli_commands``).

They are listed whether the plugin is enabled or not; run while it is not,
they say so. ``sdk.run_command`` runs a coroutine against the shop the
command is configured for (``--config``, ``SHOPWRIGHT_*``).
"""
from __future__ import annotations

import click

from engine import sdk

from $package.jobs import greeting


@click.group("$command")
def commands() -> None:
    """$title."""


@commands.command("greet")
@click.argument("who")
def greet(who: str) -> None:
    """Greet WHO with the configured greeting."""
    click.echo(sdk.run_command(lambda runtime: greeting(runtime, who)))
'''

_FILES["tests/test_plugin.py"] = '''\
"""Tests of the $title plugin with the fixtures Shopwright ships
(``engine.testing``, loaded automatically by pytest).

``make_app(plugins=[...])`` builds a migrated, started shop with exactly those
plugins (core defaults included) and enables them. Pass
``database_url=database_url`` (a fixture) to run a test on both SQLite and
PostgreSQL.
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine import sdk
from engine.testing import check_secret_at_rest, collect_jobs
from $package import plugin
from $package.commands import commands

NAME = "$name"


async def test_plugin_is_active_with_default_settings(make_app):
    app = await make_app(plugins=[plugin])
    host = app.runtime.host
    assert sdk.is_active(app.runtime, NAME)
    assert host.status_of(NAME).error is None
    assert host.shown_settings(NAME) == {"greeting": "Hello", "api_key": ""}


async def test_secret_setting_is_stored_encrypted_and_shown_masked(make_app):
    app = await make_app(plugins=[plugin])
    host = app.runtime.host
    await host.configure(NAME, {"api_key": "key-123"})
    await check_secret_at_rest(host, NAME, "api_key", "key-123")


async def test_invalid_setting_is_refused(make_app):
    app = await make_app(plugins=[plugin])
    host = app.runtime.host
    with pytest.raises(sdk.PluginError, match="greeting"):
        await host.configure(NAME, {"greeting": ""})
    assert sdk.plugin_settings(app.runtime, NAME).greeting == "Hello"


async def test_example_job_is_registered_and_uses_the_settings(make_app):
    app = await make_app(plugins=[plugin])
    await app.runtime.host.configure(NAME, {"greeting": "Hi"})
    jobs = collect_jobs(app.runtime.host)  # what the worker registers
    owner, definition = jobs["$name.example"]
    assert owner == NAME
    # The worker calls the function with a ctx holding the running shop.
    assert await definition.func({"runtime": app.runtime}, "Ada") == "Hi, Ada!"


def test_command_is_added_and_documents_itself():
    assert plugin.cli_commands() == [commands]
    result = CliRunner().invoke(commands, ["greet", "--help"])
    assert result.exit_code == 0 and "Greet WHO" in result.output
'''

_FILES["README.md"] = '''\
# $distribution

$title: a plugin for [Shopwright](https://pypi.org/project/shopwright/) (plugin name `$name`).

## Develop

```sh
pip install -e ".[test]"   # into the virtualenv where shopwright is installed
pytest                     # the plugin's own tests
```

## Use

```sh
shopwright plugins list                       # $name shows up once installed
shopwright plugins enable $name
shopwright plugins configure $name greeting=Hello api_key=...
shopwright $command greet Ada
```

## Layout

| path | holds |
|---|---|
| `$package/plugin.py` | `MANIFEST` and the `@hookimpl` functions (keep them thin) |
| `$package/settings.py` | the settings model; `secret()` fields are stored encrypted and shown masked |
| `$package/jobs.py` | background jobs, named `$name.<task>`; they run at least once, so make them idempotent |
| `$package/commands.py` | `shopwright $command ...` commands (they say so when the plugin is not enabled) |
| `tests/` | tests using the `engine.testing` fixtures (`make_app`, `make_runtime`, `database_url`) |

The hooks a plugin may implement, and the contract of each, are documented in
Shopwright's `docs/hooks.md`; what a plugin may use of the shop (`engine.sdk`:
the catalog, orders, stock, jobs, admin pages, storefront assets, commands) in
`docs/sdk.md`. Plugins import only the engine's public API: `engine`
(`hookimpl`, `PluginManifest`, `secret`, `Money`), `engine.sdk`,
`engine.protocols` and `engine.money`.
'''
