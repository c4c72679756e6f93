"""``shopwright themes check``: lint a theme before it reaches a shop.

Checks, each reported as ``file:line: message``:

- the manifest is usable (name, engine range, parent installed, settings
  model whose every field has a default);
- every template of the theme parses (Jinja syntax);
- ``extends``/``include``/``import`` name templates that exist, looked up the
  way the storefront does (``parent:`` included);
- ``theme.<setting>`` references, in the theme's templates and in those it
  inherits, name fields of the theme's settings model;
- every ``<img>`` has an ``alt`` attribute;
- ``asset_url('...')``/``image_src('...')`` with a literal path name a file in
  the theme's (or an ancestor's) ``static/`` folder;
- nothing the Content-Security-Policy blocks: inline ``<script>``/``<style>``
  without ``nonce="{{ csp_nonce }}"``, ``style="..."`` or ``on...=`` attributes.

A theme is named by its installed name, or by the path of its distribution
folder (one with a ``pyproject.toml`` declaring a ``shopwright.themes`` entry
point), so a theme can be checked before it is installed.
"""
from __future__ import annotations

import importlib
import re
import sys
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from jinja2 import TemplateNotFound, TemplateSyntaxError, nodes
from pydantic import BaseModel

from engine.plugins import THEME_GROUP
from engine.themes import registry
from engine.themes.assets import AssetResolver
from engine.themes.templating import PARENT, ThemeEnvironment, build_environment

TEMPLATE_SUFFIXES = {".html", ".htm", ".jinja", ".j2", ".xml", ".txt"}
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TAG = r"(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
_IMG = re.compile(rf"<img\b{_TAG}>", re.I)
_SCRIPT = re.compile(rf"<script\b{_TAG}>", re.I)
_STYLE = re.compile(rf"<style\b{_TAG}>", re.I)
_ATTR_STYLE = re.compile(r"\sstyle\s*=", re.I)
_ATTR_ON = re.compile(r"\son[a-z]+\s*=", re.I)
_ANY_TAG = re.compile(rf"<[a-zA-Z][a-zA-Z0-9-]*\b{_TAG}>")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


# ------------------------------------------------------------------ loading
def load_from_path(folder: Path) -> registry.InstalledTheme:
    """The theme of a distribution folder (not necessarily installed)."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        raise registry.ThemeError(f"{folder} has no pyproject.toml")
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    points = data.get("project", {}).get("entry-points", {}).get(THEME_GROUP, {})
    if len(points) != 1:
        raise registry.ThemeError(f"{pyproject} must declare exactly one [project.entry-points.\"{THEME_GROUP}\"]")
    (name, target), = points.items()
    module_name, _, attribute = target.partition(":")
    for root in (folder / "src", folder):
        if (root / module_name.split(".")[0]).exists() and str(root) not in sys.path:
            sys.path.insert(0, str(root))
            break
    try:
        module = importlib.import_module(module_name)
        obj = getattr(module, attribute) if attribute else module
    except Exception as exc:
        return registry.InstalledTheme(name, None, "", f"import failed: {exc!r}")
    version = str(data.get("project", {}).get("version", ""))
    return registry.inspect_theme(getattr(obj, "MANIFEST", obj), name, version)


def resolve_target(target: str) -> tuple[registry.InstalledTheme, dict[str, registry.InstalledTheme]]:
    themes = registry.discover_themes()
    path = Path(target)
    if path.is_dir():
        theme = load_from_path(path)
        themes = {**themes, theme.name: theme}
        if theme.manifest and not theme.error:
            try:
                registry.theme_chain(theme.name, themes)
            except registry.ThemeError as exc:
                theme.error = str(exc)
        return theme, themes
    if target not in themes:
        raise registry.ThemeError(f"no theme named {target!r} is installed, and no folder {target!r} exists")
    return themes[target], themes


# ------------------------------------------------------------------ checks
def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _template_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in TEMPLATE_SUFFIXES)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _check_setting(model: type[BaseModel], chain: list[Any]) -> str | None:
    """None when ``theme.<chain>`` can exist; else the failing dotted path."""
    current: Any = model
    for index, key in enumerate(chain):
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(key, str) or key not in current.model_fields:
                return ".".join(str(k) for k in chain[: index + 1])
            current = current.model_fields[key].annotation
        elif origin in (list, tuple) and isinstance(key, int):
            current = typing.get_args(current)[0] if typing.get_args(current) else Any
        elif origin is dict and isinstance(key, str):
            args = typing.get_args(current)
            current = args[1] if len(args) == 2 else Any
        else:
            return None  # a value we cannot see into (str methods, Any, ...)
    return None


def _setting_chains(ast: nodes.Template) -> Iterable[tuple[int, list[Any]]]:
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        chain: list[Any] = []
        current: nodes.Node = node
        while isinstance(current, (nodes.Getattr, nodes.Getitem)):
            if isinstance(current, nodes.Getattr):
                chain.append(current.attr)
            elif isinstance(current.arg, nodes.Const):
                chain.append(current.arg.value)
            else:
                chain = []
                break
            current = current.node
        if chain and isinstance(current, nodes.Name) and current.name == "theme" and current.ctx == "load":
            yield node.lineno, list(reversed(chain))


def _references(ast: nodes.Template) -> Iterable[tuple[int, str, list[str]]]:
    for node in ast.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        if isinstance(node, nodes.Include) and node.ignore_missing:
            continue
        keyword = {nodes.Extends: "extends", nodes.Include: "include"}.get(type(node), "import")
        target = node.template
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            yield node.lineno, keyword, [target.value]
        elif isinstance(target, (nodes.List, nodes.Tuple)) and all(isinstance(i, nodes.Const) for i in target.items):
            yield node.lineno, keyword, [i.value for i in target.items]


def _asset_calls(ast: nodes.Template) -> Iterable[tuple[int, str, str]]:
    for node in ast.find_all(nodes.Call):
        if isinstance(node.node, nodes.Name) and node.node.name in ("asset_url", "image_src") and node.args:
            first = node.args[0]
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                yield node.lineno, node.node.name, first.value


def _exists(env: ThemeEnvironment, name: str) -> bool:
    try:
        env.loader.get_source(env, name)
    except TemplateNotFound:
        return False
    return True


def _markup_problems(source: str) -> Iterable[tuple[int, str]]:
    blanked = _JINJA.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)

    def line(pos: int) -> int:
        return blanked.count("\n", 0, pos) + 1

    nonced = lambda tag_start, tag_end: "nonce" in source[tag_start:tag_end]  # noqa: E731
    for match in _IMG.finditer(blanked):
        if not re.search(r"\salt(\s*=|[\s/>])", match.group(0), re.I):
            yield line(match.start()), "<img> has no alt attribute (use alt=\"\" for a decorative image)"
    for match in _SCRIPT.finditer(blanked):
        tag = match.group(0)
        if not re.search(r"\ssrc\s*=", tag, re.I) and not nonced(match.start(), match.end()):
            yield line(match.start()), "inline <script> without nonce=\"{{ csp_nonce }}\" is blocked by the CSP"
    for match in _STYLE.finditer(blanked):
        if not nonced(match.start(), match.end()):
            yield line(match.start()), "inline <style> without nonce=\"{{ csp_nonce }}\" is blocked by the CSP"
    for match in _ANY_TAG.finditer(blanked):
        tag = match.group(0)
        if _ATTR_STYLE.search(tag):
            yield line(match.start()), "style=\"...\" attributes are blocked by the CSP; use a class"
        if _ATTR_ON.search(tag):
            yield line(match.start()), "inline event handlers (on...=) are blocked by the CSP"


def _installed_plugin_templates() -> list[tuple[str, Path]]:
    from engine.plugins import default_plugins, discover_installed

    mounts = []
    for plugin in default_plugins() + discover_installed():
        manifest = plugin.manifest
        if plugin.error is None and manifest and manifest.templates and Path(manifest.templates).is_dir():
            mounts.append((plugin.name, Path(manifest.templates)))
    return mounts


def check_theme(theme: registry.InstalledTheme, themes: dict[str, registry.InstalledTheme]) -> list[Problem]:
    """Every problem found in ``theme`` (empty: it passes)."""
    problems: set[Problem] = set()
    origin = _display(theme.manifest.templates) if theme.manifest and theme.manifest.templates else theme.name
    if theme.manifest is None or theme.error:
        return [Problem(origin, 0, f"theme {theme.name!r} is unusable: {theme.error}")]
    manifest = theme.manifest
    model = manifest.settings
    if model is not None:
        required = [name for name, info in model.model_fields.items() if info.is_required()]
        if required:
            problems.add(Problem(origin, 0, f"settings model {model.__name__} needs a default for every field "
                                            f"(none for: {', '.join(required)})"))
        else:
            try:
                model()
            except Exception as exc:
                problems.add(Problem(origin, 0, f"the defaults of settings model {model.__name__} do not "
                                                f"validate: {str(exc).splitlines()[0]}"))
    chain = registry.theme_chain(theme.name, themes)
    env = build_environment([(t.name, t.manifest.templates) for t in chain], overrides=None,
                            plugin_templates=_installed_plugin_templates())
    assets = AssetResolver([(t.name, t.manifest.static) for t in chain])
    own = manifest.templates
    for member in chain:
        folder = member.manifest.templates
        for path in _template_files(folder):
            shown = _display(path)
            relative = path.relative_to(folder).as_posix()
            source = path.read_text(encoding="utf-8")
            try:
                ast = env.parse(source, relative, str(path))
            except TemplateSyntaxError as exc:
                if member is theme:
                    problems.add(Problem(shown, exc.lineno or 0, f"template syntax error: {exc.message}"))
                continue
            for lineno, dotted in _setting_chains(ast):
                if model is None:
                    problems.add(Problem(shown, lineno, f"theme.{'.'.join(map(str, dotted))}: theme "
                                                        f"{theme.name!r} has no settings"))
                    continue
                bad = _check_setting(model, dotted)
                if bad is not None:
                    problems.add(Problem(shown, lineno, f"theme.{bad} is not a setting of theme {theme.name!r} "
                                                        f"({model.__name__})"))
            if member is not theme or folder != own:
                continue
            qualified = f"{theme.name}:{relative}"
            for lineno, keyword, names in _references(ast):
                found = False
                for name in names:
                    resolved = env.join_path(name, qualified)
                    if not resolved.startswith(f"{PARENT}:") and _exists(env, resolved):
                        found = True
                        break
                if not found:
                    where = " (no ancestor theme, plugin or core template has it)" if names[0].startswith(
                        f"{PARENT}:") else ""
                    problems.add(Problem(shown, lineno, f"{keyword} of missing template "
                                                        f"{' or '.join(map(repr, names))}{where}"))
            for lineno, function, asset in _asset_calls(ast):
                if function == "image_src" and asset.startswith(("/", "https://", "http://", "data:")):
                    continue
                if assets.find(asset) is None:
                    problems.add(Problem(shown, lineno, f"{function}({asset!r}): no such file in the static "
                                                        f"folders of {', '.join(t.name for t in chain)}"))
            for lineno, message in _markup_problems(source):
                problems.add(Problem(shown, lineno, message))
    return sorted(problems)
