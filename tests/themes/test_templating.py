"""Template lookup order and the ``parent:`` prefix."""
from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from engine.themes.templating import build_environment, plugin_template_folder


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def layers(tmp_path):
    names = ["overrides", "child", "parent", "plugin", "core"]
    folders = {name: tmp_path / name for name in names}
    for name, folder in folders.items():
        folder.mkdir()
    return folders


def _env(layers):
    return build_environment(
        [("child", layers["child"]), ("mother", layers["parent"])],
        overrides=layers["overrides"],
        plugin_templates=[("shipping_rates", layers["plugin"])],
        core=layers["core"],
    )


def test_each_source_wins_over_the_ones_after_it(layers):
    """override > theme > parent > plugin > core, removing one layer at a time."""
    order = ["overrides", "child", "parent", "core"]
    for name in order:
        _write(layers[name], "who.html", name)
    env = _env(layers)
    seen = []
    for name in order:
        env = _env(layers)  # a fresh environment: no cached template
        seen.append(env.get_template("who.html").render())
        (layers[name] / "who.html").unlink()
    assert seen == order
    with pytest.raises(TemplateNotFound):
        _env(layers).get_template("who.html")


def test_plugin_templates_are_namespaced_and_themes_may_override_them(layers):
    _write(layers["plugin"], "widget.html", "plugin widget")
    _write(layers["core"], "shipping_rates/widget.html", "core widget")
    env = _env(layers)
    assert env.get_template("shipping_rates/widget.html").render() == "plugin widget"
    with pytest.raises(TemplateNotFound):
        env.get_template("widget.html")  # not reachable without its namespace
    _write(layers["parent"], "shipping_rates/widget.html", "themed widget")
    assert _env(layers).get_template("shipping_rates/widget.html").render() == "themed widget"


def test_plugin_folder_already_namespaced_is_mounted_once(tmp_path):
    folder = tmp_path / "templates"
    _write(folder, "erp_sync/status.html", "x")
    assert plugin_template_folder("erp_sync", folder) == folder / "erp_sync"
    _write(folder, "other.html", "y")
    assert plugin_template_folder("erp_sync", folder) == folder


def test_parent_prefix_reaches_the_next_source_down(layers):
    _write(layers["core"], "page.html", "<core>{% block body %}core{% endblock %}</core>")
    _write(layers["parent"], "page.html", '{% extends "parent:page.html" %}{% block body %}parent+{{ super() }}{% endblock %}')
    _write(layers["child"], "page.html", '{% extends "parent:page.html" %}{% block body %}child+{{ super() }}{% endblock %}')
    _write(layers["overrides"], "page.html", '{% extends "parent:page.html" %}{% block body %}shop+{{ super() }}{% endblock %}')
    assert _env(layers).get_template("page.html").render() == "<core>shop+child+parent+core</core>"


def test_parent_prefix_skips_ancestors_without_the_template(layers):
    _write(layers["core"], "page.html", "core:{% block b %}{% endblock %}")
    _write(layers["child"], "page.html", '{% extends "parent:page.html" %}{% block b %}child{% endblock %}')
    assert _env(layers).get_template("page.html").render() == "core:child"


def test_parent_prefix_in_includes_and_plain_names_still_resolve_top_down(layers):
    _write(layers["parent"], "header.html", "parent header")
    _write(layers["child"], "header.html", 'child header / {% include "parent:header.html" %}')
    _write(layers["parent"], "layout.html", '[{% include "header.html" %}]')
    # the parent's layout includes "header.html": the child's version wins.
    assert _env(layers).get_template("layout.html").render() == "[child header / parent header]"


def test_parent_without_any_lower_template_is_not_found(layers):
    _write(layers["child"], "page.html", '{% extends "parent:page.html" %}')
    with pytest.raises(TemplateNotFound):
        _env(layers).get_template("page.html").render()


def test_qualified_names_reach_one_source(layers):
    _write(layers["parent"], "a.html", "parent a")
    _write(layers["child"], "a.html", "child a")
    env = _env(layers)
    assert env.get_template("mother:a.html").render() == "parent a"
    assert env.get_template("child:a.html").render() == "child a"
    assert env.get_template("a.html").render() == "child a"
    assert _env(layers).loader.split("child:a.html") == ("child", "a.html")
    assert _env(layers).loader.split("c:/windows.html") == (None, "c:/windows.html")


def test_autoescape_is_on(layers):
    _write(layers["core"], "x.html", "{{ value }}")
    assert _env(layers).get_template("x.html").render(value="<script>") == "&lt;script&gt;"
