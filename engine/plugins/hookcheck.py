"""Checking a plugin's hook implementations against the specifications.

:func:`hook_problems` lists what is wrong with the ``@hookimpl`` functions of a
plugin object, each with a rule id and a message naming the fix. The host
refuses a plugin with any problem at load (it is reported, not registered);
``shopwright plugin check`` prints them with their file and line.

Rules:

- ``unknown-hook``: no specification has this name (with "did you mean");
- ``wrapper``: ``wrapper=True`` / ``hookwrapper=True`` implementations are not
  supported (the core calls each implementation itself);
- ``unknown-argument``: an argument the specification does not have (with
  the valid ones);
- ``not-sync``: an ``async def`` for a hook that only takes plain functions.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from typing import Any, Callable

from engine import PROJECT_NAME, hookspecs
from engine.hookspecs.contract import contract_of


@dataclass(frozen=True)
class HookProblem:
    """One problem of one hook implementation."""

    rule: str
    function: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.function}: {self.message}"


def specifications() -> dict[str, Callable]:
    """Every hook specification function by hook name."""
    found = {}
    for module in hookspecs.MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if hasattr(function, f"{PROJECT_NAME}_spec"):
                found[name] = function
    return found


def spec_arguments(function: Callable) -> list[str]:
    return list(inspect.signature(function).parameters)


def _where(function: Callable) -> tuple[str | None, int | None]:
    target = inspect.unwrap(function)
    try:
        return inspect.getsourcefile(target), inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return None, None


def implementations(obj: Any) -> list[tuple[str, Callable, dict]]:
    """``(attribute name, function, hookimpl options)`` of every ``@hookimpl`` on ``obj``."""
    found = []
    for name in dir(obj):
        try:
            value = getattr(obj, name)
            options = getattr(value, f"{PROJECT_NAME}_impl", None)
        except Exception:  # a property or proxy (quart's request) that raises is not a hookimpl
            continue
        if isinstance(options, dict) and callable(value):
            found.append((name, value, options))
    return found


def hook_problems(obj: Any) -> list[HookProblem]:
    """Every problem of the hook implementations on ``obj`` (empty: all valid)."""
    specs = specifications()
    problems = []
    for attribute, function, options in implementations(obj):
        hook = options.get("specname") or attribute
        file, line = _where(function)

        def problem(rule: str, message: str) -> None:
            problems.append(HookProblem(rule, attribute, message, file, line))

        if options.get("wrapper") or options.get("hookwrapper"):
            problem("wrapper", f"hook wrappers are not supported: remove wrapper=True/hookwrapper=True from "
                               f"@hookimpl and return {hook}'s result")
        spec = specs.get(hook)
        if spec is None:
            close = difflib.get_close_matches(hook, list(specs), n=1)
            hint = f"; did you mean {close[0]!r} ({', '.join(spec_arguments(specs[close[0]]))})?" if close else ""
            problem("unknown-hook", f"there is no hook named {hook!r}{hint}")
            continue
        allowed = spec_arguments(spec)
        for argument in inspect.signature(function).parameters:
            if argument not in allowed:
                problem("unknown-argument", f"{hook} takes {', '.join(allowed) or 'no arguments'}; "
                                            f"{argument!r} is not one of them")
        if contract_of(spec).implementation == "sync" and inspect.iscoroutinefunction(inspect.unwrap(function)):
            problem("not-sync", f"{hook} is called where nothing can be awaited: make it a plain def")
    return problems
