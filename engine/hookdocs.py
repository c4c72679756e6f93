"""Render the hook reference (docs/hooks.md) from the hookspec docstrings.

``python -m engine.hookdocs > docs/hooks.md``; a test fails when the file is stale.
"""
from __future__ import annotations

import inspect

from engine import PROJECT_NAME, hookspecs


def hook_specs() -> list[tuple[str, str, object]]:
    """(domain, hook name, function) for every hook specification."""
    found = []
    for module in hookspecs.MODULES:
        domain = module.__name__.rsplit(".", 1)[-1]
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if hasattr(function, f"{PROJECT_NAME}_spec"):
                found.append((domain, name, function))
    return found


def render() -> str:
    out = [
        "# Hook reference",
        "",
        "Generated from `engine/hookspecs/` by `python -m engine.hookdocs`; do not edit by hand.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
    ]
    current = None
    for domain, name, function in hook_specs():
        if domain != current:
            current = domain
            module = getattr(hookspecs, domain)
            out += [f"## {domain}", "", inspect.cleandoc(module.__doc__ or ""), ""]
        options = getattr(function, f"{PROJECT_NAME}_spec")
        mode = "firstresult" if options.get("firstresult") else "collect-all"
        out += [f"### `{name}{inspect.signature(function)}`", "", f"*{mode}*", "",
                inspect.cleandoc(function.__doc__ or "(undocumented)"), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
