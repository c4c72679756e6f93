"""The import rules of docs/architecture.md hold.

- The import-linter contracts in pyproject.toml are kept: the engine's
  layers, and plugins/themes importing only the public API.
- No first-level package of ``engine`` is in an import cycle with another
  (every import counts, including imports inside functions).
- Plugin and theme packages, their tests and what the scaffolds generate
  import only ``engine``, ``engine.sdk``, ``engine.protocols`` and
  ``engine.money`` (tests may add ``engine.testing``): import-linter sees the
  installed packages, this test also their test folders, with the check
  ``shopwright plugin check`` runs (:func:`engine.plugins.check.private_imports`).
"""
from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

from engine.plugins.check import private_imports
from engine.scaffold import scaffold_plugin
from engine.themes.scaffold import scaffold_theme

REPO = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    output = io.StringIO()
    with redirect_stdout(output):
        code = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, output.getvalue()


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_first_level_package_of_engine_is_in_an_import_cycle():
    graph = grimp.build_graph("engine", cache_dir=None)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        source = ".".join(module.split(".")[:2])
        for imported in graph.find_modules_directly_imported_by(module):
            target = ".".join(imported.split(".")[:2])
            if source != target and "engine" not in (source, target):
                edges.setdefault(source, set()).add(target)
    assert len(edges) > 20, "the graph should cover every first-level package"
    assert _cycles(edges) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _private_imports(root: Path) -> list[str]:
    """The ``private-import`` findings of ``shopwright plugin check`` (one helper for both)."""
    return [str(finding) for finding in private_imports(root)]


def test_bundled_plugins_and_themes_import_only_the_public_api():
    roots = [*sorted((REPO / "plugins").iterdir()), *sorted((REPO / "themes").iterdir())]
    assert len(roots) >= 7
    problems = [problem for root in roots if root.is_dir() for problem in _private_imports(root)]
    assert problems == []


def test_scaffolded_plugin_and_theme_import_only_the_public_api(tmp_path):
    plugin = scaffold_plugin("loyalty_points", tmp_path / "plugin")
    theme = scaffold_theme("harbour", tmp_path / "theme")
    assert _private_imports(plugin) == []
    assert _private_imports(theme) == []


def test_private_import_check_catches_an_internal_import(tmp_path):
    package = tmp_path / "shopwright_probe"
    (package / "tests").mkdir(parents=True)
    (package / "plugin.py").write_text("from engine.catalog import services\nfrom engine import hookimpl\n")
    (package / "tests" / "test_probe.py").write_text("from engine.testing import fetch\nfrom engine import db\n")
    assert [p.split("private-import ", 1)[1].split()[0] for p in _private_imports(package)] == [
        "engine.catalog", "engine.db"]


def test_the_sdk_fixture_plugin_imports_only_the_public_api():
    """tests/support/sdk_fixture is written as a plugin author would: the SDK
    tests prove what the public API alone can do."""
    assert _private_imports(REPO / "tests" / "support" / "sdk_fixture") == []
