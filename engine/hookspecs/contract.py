"""What a hook specification declares about how it is called.

Every spec in ``engine/hookspecs`` is declared with :func:`spec`, which records
a :class:`HookContract` on the function (``function.contract``) besides
registering it with pluggy. The plugin host's one caller
(:meth:`engine.plugins.calls.HookCaller.hook`) reads the contract, never the
call site: one caller, one behaviour per hook.

- ``mode``: ``first`` stops at the first non-None result, in hook order, and
  returns it (None without one); ``collect`` returns ``(plugin, result)``
  for every non-None result, in hook order; ``pipeline`` hands each
  implementation the previous one's result in the argument named by ``pipe``
  (None keeps the value) and returns the last.
- ``runs``: ``request`` inside an HTTP request, under the hook deadline
  (``plugins.hook_deadline_seconds``; a call site may only shorten it) and
  without network I/O; a plugin's plain ``def`` implementation runs in a
  worker thread so it cannot stall the event loop (core defaults run inline),
  and a circuit breaker stops calling an implementation that keeps failing
  (``plugins.breaker_failures``, ``plugins.breaker_cooldown_seconds``);
  ``worker`` in the job worker (may be slow, called at least once, must be
  idempotent; a failure is retried by the job); ``process`` once when a
  process starts or stops; ``app`` when the web app is built (before it
  serves).
- ``implementation``: ``any`` (``def`` or ``async def``) or ``sync`` (a plain
  function only: its caller cannot await).
- ``on_failure``: ``raise`` — an implementation that raises, misses its
  deadline or answers something the core refuses fails the caller with a
  :class:`engine.plugins.HookError` naming the plugin (fail closed: payment,
  tax, security); ``skip`` — its answer is left out and the others' answers
  stand. Either way the failure is logged and recorded for staff
  (``shopwright plugins list``, ``/readyz``, the admin plugins API).
- ``plugins``: ``active`` — the enabled plugins, in hook order; ``installed``
  — every usable installed plugin, enabled or not, in hook order (for what is
  wired once per process: routes, jobs; a disabled plugin's part is refused
  when it is used).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, TypeVar

from engine import hookspec

Mode = Literal["first", "collect", "pipeline"]
Runs = Literal["request", "worker", "process", "app"]
Implementation = Literal["any", "sync"]
OnFailure = Literal["raise", "skip"]
Plugins = Literal["active", "installed"]

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class HookContract:
    mode: Mode
    runs: Runs
    implementation: Implementation = "any"
    on_failure: OnFailure = "raise"
    #: for ``pipeline``: the argument that carries the previous result
    pipe: str | None = None
    plugins: Plugins = "active"


def spec(mode: Mode, runs: Runs, *, implementation: Implementation = "any", on_failure: OnFailure = "raise",
         pipe: str | None = None, plugins: Plugins = "active") -> Callable[[F], F]:
    """Declare a hook specification and how it is called (see the module docstring)."""
    if (mode == "pipeline") != (pipe is not None):
        raise ValueError("a pipeline hook names its pipe argument, and only a pipeline hook does")
    if plugins == "installed" and implementation != "sync":
        raise ValueError("a hook of every installed plugin is wired once, where nothing is awaited: "
                         "declare it implementation='sync'")

    def declare(function: F) -> F:
        if pipe is not None and pipe not in function.__code__.co_varnames[:function.__code__.co_argcount]:
            raise ValueError(f"{function.__name__}: the pipe argument {pipe!r} is not one of its arguments")
        function.contract = HookContract(mode, runs, implementation, on_failure, pipe, plugins)  # type: ignore[attr-defined]
        return hookspec(firstresult=(mode == "first"))(function)

    return declare


def contract_of(function: Callable) -> HookContract:
    """The contract a spec function was declared with."""
    return function.contract  # type: ignore[attr-defined]
