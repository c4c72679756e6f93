"""The storefront's Jinja environment: one loader over every template source.

Lookup order of a plain name such as ``"product.html"`` (first match wins):

1. ``overrides``: the merchant's overrides folder;
2. the active theme, then its parent, grandparent, ...;
3. ``plugins``: plugin templates, each mounted under its plugin's name
   (``"payments_stripe/widget.html"``) through a ``PrefixLoader``;
4. ``core``: the fallbacks in ``engine/storefront/templates``.

Every source is also reachable by a qualified name ``"<source>:<name>"``
(``"default:product.html"``, ``"core:macros/forms.html"``). ``"parent:<name>"``
is relative to the template that uses it: it finds ``<name>`` in the sources
*below* the one that supplied the referring template, so a theme's
``{% extends "parent:product.html" %}`` reaches its parent's version (or the
core's when no ancestor has one), and a merchant override can extend the
theme's own template the same way.

Autoescape is on for every template. Templates are checked for changes on
disk (``auto_reload``), so an edited override is picked up without a restart:
on every use, or, with ``check_round`` (the storefront's theme state gives
its refresh count, :mod:`engine.themes.state`), once each time that number
changes — a page would otherwise stat a dozen files on every render.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
)

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "storefront" / "templates"
PARENT = "parent"


def plugin_template_folder(name: str, folder: Path) -> Path:
    """A plugin's folder as mounted under ``name/``: when the folder holds only a
    sub-folder named after the plugin (the ``templates/<plugin>/...`` layout),
    that sub-folder is mounted, so both layouts give ``<plugin>/<file>``."""
    inner = folder / name
    if inner.is_dir() and all(p == inner for p in folder.iterdir() if not p.name.startswith(".")):
        return inner
    return folder


class LayeredLoader(BaseLoader):
    """A ChoiceLoader whose sources have names, and which remembers which
    source supplied each template (for ``parent:`` resolution)."""

    def __init__(self, layers: Iterable[tuple[str, BaseLoader]],
                 check_round: Callable[[], int] | None = None) -> None:
        self.layers: list[tuple[str, BaseLoader]] = list(layers)
        self.labels = [label for label, _ in self.layers]
        self.origin: dict[str, str] = {}
        self.check_round = check_round

    def split(self, name: str) -> tuple[str | None, str]:
        label, sep, rest = name.partition(":")
        if sep and (label in self.labels or label == PARENT):
            return label, rest
        return None, name

    def get_source(self, environment: Environment, template: str):
        label, name = self.split(template)
        if label == PARENT:  # used outside a template (no referring template)
            raise TemplateNotFound(template)
        layers = self.layers if label is None else [(l, ldr) for l, ldr in self.layers if l == label]
        for layer_label, loader in layers:
            try:
                text, filename, uptodate = loader.get_source(environment, name)
            except TemplateNotFound:
                continue
            self.origin[template] = layer_label
            if uptodate is not None and self.check_round is not None:
                uptodate = _checked_each_round(uptodate, self.check_round)
            return text, filename, uptodate
        raise TemplateNotFound(template)

    def has(self, environment: Environment, label: str, name: str) -> bool:
        loader = dict(self.layers)[label]
        try:
            loader.get_source(environment, name)
        except TemplateNotFound:
            return False
        return True

    def source_of(self, environment: Environment, template: str) -> str | None:
        """The label of the source that supplies ``template`` (None: not found)."""
        if template not in self.origin:
            try:
                self.get_source(environment, template)
            except TemplateNotFound:
                return None
        return self.origin[template]

    def resolve_parent(self, environment: Environment, name: str, referrer: str) -> str:
        """``parent:name`` used in ``referrer`` → a qualified name below the referrer's source."""
        source = self.source_of(environment, referrer)
        if source is None:
            return f"{PARENT}:{name}"
        for label in self.labels[self.labels.index(source) + 1:]:
            if self.has(environment, label, name):
                return f"{label}:{name}"
        return f"{PARENT}:{name}"

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for _, loader in self.layers:
            found.update(loader.list_templates())
        return sorted(found)


def _checked_each_round(uptodate: Callable[[], bool], check_round: Callable[[], int]) -> Callable[[], bool]:
    """``uptodate`` asked again only when ``check_round()`` has changed since
    it was last asked (a template found changed is loaded again, with a new
    check)."""
    last = [check_round(), True]

    def check() -> bool:
        current = check_round()
        if current != last[0]:
            last[0], last[1] = current, uptodate()
        return last[1]

    return check


#: What ``getattr`` finds on any plain dict (its methods and dunders).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class ThemeEnvironment(Environment):
    """Resolves ``parent:`` relative to the including/extending template."""

    loader: LayeredLoader

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.name`` in a template. On a plain dict and a name that is not
        a dict method, the key, as Jinja answers, but without first raising
        and catching an AttributeError: the storefront's data are dicts, and
        that exception was a tenth of a category page's time."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def join_path(self, template: str, parent: str) -> str:
        label, name = self.loader.split(template)
        if label == PARENT:
            return self.loader.resolve_parent(self, name, parent)
        return template


def build_environment(
    themes: list[tuple[str, Path | None]],
    overrides: Path | None = None,
    plugin_templates: Iterable[tuple[str, Path]] = (),
    core: Path = CORE_TEMPLATES,
    globals_: dict[str, Any] | None = None,
    filters: dict[str, Callable] | None = None,
    strict: bool = False,
    check_round: Callable[[], int] | None = None,
) -> ThemeEnvironment:
    """A Jinja environment for one theme chain (``[(name, templates folder), ...]``,
    the theme first, its root ancestor last). ``strict`` makes undefined names
    errors (used by ``themes check``); ``check_round``: see the module docs."""
    layers: list[tuple[str, BaseLoader]] = []
    if overrides is not None:
        layers.append(("overrides", FileSystemLoader(str(overrides))))
    for name, folder in themes:
        layers.append((name, FileSystemLoader(str(folder)) if folder else _EmptyLoader()))
    mounts = {name: FileSystemLoader(str(plugin_template_folder(name, folder))) for name, folder in plugin_templates}
    layers.append(("plugins", PrefixLoader(mounts) if mounts else _EmptyLoader()))
    layers.append(("core", FileSystemLoader(str(core))))
    env = ThemeEnvironment(
        loader=LayeredLoader(layers, check_round),
        autoescape=True,
        auto_reload=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined if strict else Environment().undefined,
        extensions=["jinja2.ext.loopcontrols"],
    )
    env.globals.update(globals_ or {})
    env.filters.update(filters or {})
    return env


class _EmptyLoader(BaseLoader):
    def get_source(self, environment: Environment, template: str):
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        return []
