"""``shopwright plugin check PATH``: lint a plugin package before it reaches a shop.

PATH is a plugin's distribution folder (the one with its ``pyproject.toml``); it need
not be installed. :func:`check_plugin` returns every :class:`Finding`, each printed
as one line ``file:line: RULE-ID message``; none means the package passes. Rules:

- ``pyproject``: the folder has no ``pyproject.toml``, or it does not parse;
- ``entry-point``: no entry point in the ``shopwright.plugins`` group;
- ``import-failed``: the module an entry point names does not import, or imports
  from somewhere else than PATH (another copy installed or imported first);
- ``manifest-missing``: the module has no ``MANIFEST = PluginManifest(...)``;
- ``manifest-name``: the manifest's name is not the entry point's name;
- ``engine-range``: no engine range, an invalid one, or one without this engine;
- ``unknown-hook`` (with "did you mean"), ``wrapper``, ``unknown-argument``,
  ``not-sync``: see :mod:`engine.plugins.hookcheck`; ``hook-invalid``: pluggy
  refuses the hook implementations for another reason;
- ``settings-default``: a field of the settings model has no default;
- ``settings-invalid``: the settings model's defaults do not validate;
- ``private-import``: an import of engine internals — a plugin imports only the
  public API, :data:`PUBLIC`; its tests (files under a ``tests`` folder) also
  :data:`PUBLIC_IN_TESTS` (checked on the source, :func:`private_imports`);
- ``syntax-error``: a Python file of the package does not parse.

Checking imports the plugin's modules (as installing and enabling it would), with
PATH put first on ``sys.path`` for the time of the import.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import sys
import tomllib
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from packaging.version import Version
from pydantic import BaseModel, ValidationError

import engine
from engine.manifest import PluginManifest
from engine.plugins.discovery import PLUGIN_GROUP, check_engine_range, one_line, pluggy_refusal
from engine.plugins.hookcheck import hook_problems

#: What a plugin or theme may import from the engine.
PUBLIC = ("engine", "engine.sdk", "engine.protocols", "engine.money")
#: What a plugin's or theme's tests may import from the engine.
PUBLIC_IN_TESTS = PUBLIC + ("engine.testing",)
#: Folders never scanned: build output, environments, caches.
SKIPPED_FOLDERS = frozenset({"build", "dist", "__pycache__", ".venv", "venv", ".git", ".tox", "node_modules"})
ENGINE_FOLDER = Path(engine.__file__).resolve().parent


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: where (``path``, ``line``, 1-based), which rule, and what to do."""

    path: Path
    line: int
    rule: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path).resolve())

    def __str__(self) -> str:
        return f"{_display(self.path)}:{self.line}: {self.rule} {self.message}"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ public API only
def engine_imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of an engine module in a Python file
    (``from engine import hookimpl`` imports the ``engine`` package itself;
    ``from engine import db`` the module ``engine.db``). Raises SyntaxError."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "engine":
                found += [(node.lineno, f"engine.{alias.name}") for alias in node.names
                          if (ENGINE_FOLDER / alias.name).is_dir() or (ENGINE_FOLDER / f"{alias.name}.py").exists()]
            elif node.module.startswith("engine."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("engine.")]
    return sorted(found)


def is_public(module: str, in_tests: bool = False) -> bool:
    """Whether a plugin (``in_tests``: its tests) may import ``module``."""
    return any(module == public or (public != "engine" and module.startswith(public + "."))
               for public in (PUBLIC_IN_TESTS if in_tests else PUBLIC))


def python_files(root: Path) -> Iterator[Path]:
    """The package's Python files, build output, environments, caches and
    ``*.egg-info`` left out."""
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts[:-1]
        if any(part in SKIPPED_FOLDERS or part.startswith(".") or part.endswith(".egg-info") for part in parts):
            continue
        yield path


def private_imports(root: Path) -> list[Finding]:
    """``private-import`` (and ``syntax-error``) findings of every Python file under
    ``root``; files under a ``tests`` folder may also import ``engine.testing``."""
    findings = []
    for path in python_files(root):
        in_tests = "tests" in path.relative_to(root).parts
        try:
            imports = engine_imports(path)
        except SyntaxError as exc:
            findings.append(Finding(path, exc.lineno or 1, "syntax-error", one_line(exc.msg)))
            continue
        for line, module in imports:
            if not is_public(module, in_tests):
                allowed = ", ".join(PUBLIC_IN_TESTS if in_tests else PUBLIC)
                findings.append(Finding(path, line, "private-import",
                                        f"{module} is not public API: {'tests' if in_tests else 'plugins'} "
                                        f"import only {allowed}"))
    return findings


# ------------------------------------------------------------------ the package
def _line_in(path: Path, text: str, needle: str, after: str | None = None) -> int:
    """The 1-based line of ``path`` (content ``text``) that starts with ``needle``
    (after the line containing ``after``), else 1."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next((i for i, line in enumerate(lines) if after in line), 0)
    for number, line in enumerate(lines[start:], start + 1):
        if line.strip().startswith((needle, f'"{needle}"', f"'{needle}'")):
            return number
    return 1


def _assignment_line(module: ModuleType, name: str) -> int:
    """The line where ``module`` assigns ``name`` at its top level, else 1."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return 1
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return node.lineno
    return 1


def _where(obj: Any, default: tuple[Path, int]) -> tuple[Path, int]:
    try:
        return Path(inspect.getsourcefile(obj)), inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return default


@contextlib.contextmanager
def _first_on_path(folder: Path, module_name: str) -> Iterator[None]:
    """``folder`` (or its ``src`` folder, where ``module_name``'s package is) first
    on ``sys.path`` for the time of the block."""
    top = module_name.split(".")[0]
    roots = [root for root in (folder / "src", folder) if (root / top).exists() or (root / f"{top}.py").exists()]
    root = str((roots[0] if roots else folder).resolve())
    sys.path.insert(0, root)
    importlib.invalidate_caches()
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(root)


def _import(folder: Path, target: str, at: tuple[Path, int]) -> tuple[Any, ModuleType | None, list[Finding]]:
    """The object entry point ``target`` (``module`` or ``module:attribute``) names,
    its module, and why it could not be had."""
    module_name, _, attribute = target.strip().partition(":")
    try:
        with _first_on_path(folder, module_name):
            module = importlib.import_module(module_name)
        obj = getattr(module, attribute) if attribute else module
    except SyntaxError as exc:
        where = (Path(exc.filename), exc.lineno or 1) if exc.filename else at
        return None, None, [Finding(*where, "import-failed", f"{module_name} does not import: {one_line(exc)}")]
    except Exception as exc:
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
                  if Path(frame.filename).resolve().is_relative_to(folder.resolve())]
        where = (Path(frames[-1].filename), frames[-1].lineno or 1) if frames else at
        return None, None, [Finding(*where, "import-failed",
                                    f"{target} does not import: {one_line(f'{type(exc).__name__}: {exc}')}")]
    source = getattr(module, "__file__", None)
    if source and not Path(source).resolve().is_relative_to(folder.resolve()):
        return None, None, [Finding(*at, "import-failed", f"{module_name} imports from {source}, not from {folder} "
                                                          f"(another copy is installed or was imported first)")]
    return obj, module, []


def _settings_findings(model: Any, at: tuple[Path, int]) -> list[Finding]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return [Finding(*at, "settings-invalid", f"settings must be a pydantic BaseModel subclass, not {model!r}")]
    where = _where(model, at)
    required = [name for name, info in model.model_fields.items() if info.is_required()]
    if required:
        return [Finding(*where, "settings-default", f"settings model {model.__name__} needs a default for every "
                                                    f"field (none for: {', '.join(required)})")]
    defaults = {name: info.get_default(call_default_factory=True) for name, info in model.model_fields.items()}
    try:
        model.model_validate(defaults)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        return [Finding(*where, "settings-invalid", f"the default of {model.__name__}.{field} does not validate: "
                                                    f"{one_line(first['msg'])}")]
    return []


def _plugin_findings(name: str, obj: Any, module: ModuleType, at: tuple[Path, int]) -> list[Finding]:
    """What is wrong with the plugin object ``obj`` of entry point ``name``."""
    source = Path(module.__file__) if getattr(module, "__file__", None) else at[0]
    manifest = getattr(obj, "MANIFEST", None)
    if not isinstance(manifest, PluginManifest):
        return [Finding(source, _assignment_line(module, "MANIFEST"), "manifest-missing",
                        f"{module.__name__} has no MANIFEST = PluginManifest(name={name!r}, ...)")]
    here = (source, _assignment_line(module, "MANIFEST"))
    findings = []
    if manifest.name != name:
        findings.append(Finding(*here, "manifest-name", f"MANIFEST name {manifest.name!r} differs from the entry "
                                                        f"point name {name!r}: make them equal"))
    if not manifest.engine:
        running = Version(engine.__version__)
        findings.append(Finding(*here, "engine-range", f"MANIFEST declares no engine range: add engine="
                                                       f"\">={running.major}.{running.minor},<{running.major + 1}\""))
    elif problem := check_engine_range(manifest):
        findings.append(Finding(*here, "engine-range", problem))
    problems = hook_problems(obj)
    for problem in problems:
        findings.append(Finding(Path(problem.file) if problem.file else source, problem.line or 1, problem.rule,
                                f"{problem.function}: {problem.message}"))
    if not problems and (refusal := pluggy_refusal(obj, manifest.name)):
        findings.append(Finding(source, 1, "hook-invalid", refusal))
    if manifest.settings is not None:
        findings += _settings_findings(manifest.settings, here)
    return findings


def check_plugin(folder: Path) -> list[Finding]:
    """Every finding in the plugin package at ``folder``, sorted (empty: it passes)."""
    folder = Path(folder)
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return [Finding(pyproject, 1, "pyproject", f"{folder} is not a plugin package: it has no pyproject.toml")]
    text = pyproject.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [Finding(pyproject, 1, "pyproject", f"pyproject.toml does not parse: {exc}")]
    findings = set(private_imports(folder))
    points = data.get("project", {}).get("entry-points", {}).get(PLUGIN_GROUP, {})
    if not points:
        findings.add(Finding(pyproject, _line_in(pyproject, text, "[project"), "entry-point",
                             f"no entry point in the {PLUGIN_GROUP} group: add [project.entry-points."
                             f"\"{PLUGIN_GROUP}\"] with NAME = \"package.plugin\""))
    for name, target in sorted(points.items()):
        at = (pyproject, _line_in(pyproject, text, name, after=PLUGIN_GROUP))
        obj, module, problems = _import(folder, str(target), at)
        findings.update(problems)
        if module is not None:
            findings.update(_plugin_findings(name, obj, module, at))
    return sorted(findings)
