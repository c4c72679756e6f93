"""Render the hook reference (docs/hooks.md) from the hookspec docstrings.

``python -m engine.hookdocs > docs/hooks.md``; a test fails when the file is stale.
"""
from __future__ import annotations

import inspect

from engine import PROJECT_NAME, hookspecs
from engine.hookspecs.contract import HookContract, contract_of


def hook_specs() -> list[tuple[str, str, object]]:
    """(domain, hook name, function) for every hook specification."""
    found = []
    for module in hookspecs.MODULES:
        domain = module.__name__.rsplit(".", 1)[-1]
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if hasattr(function, f"{PROJECT_NAME}_spec"):
                found.append((domain, name, function))
    return found


_MODES = {"first": "firstresult", "collect": "collect-all", "pipeline": "pipeline"}
_RUNS = {"request": "in the request, under the hook deadline", "worker": "in the job worker",
         "process": "once per process start or stop", "app": "when the app is built"}


def _contract_line(contract: HookContract) -> str:
    parts = [_MODES[contract.mode] + (f" (through `{contract.pipe}`)" if contract.pipe else ""),
             _RUNS[contract.runs],
             "plain `def` only" if contract.implementation == "sync" else "`def` or `async def`",
             "a failing plugin is skipped" if contract.on_failure == "skip" else "a failing plugin fails the call"]
    if contract.plugins == "installed":
        parts.append("every usable installed plugin, enabled or not")
    return "*" + "; ".join(parts) + "*"


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
        out += [f"### `{name}{inspect.signature(function)}`", "", _contract_line(contract_of(function)), "",
                inspect.cleandoc(function.__doc__ or "(undocumented)"), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
