"""What a hook specification declares about how it is called.

Every spec in ``engine/hookspecs`` is declared with :func:`spec`, which records
a :class:`HookContract` on the function (``function.contract``) besides
registering it with pluggy. The plugin host reads the contract, never the call
site: one caller, one behaviour per hook.

- ``mode``: ``first`` stops at the first non-None result, in hook order;
  ``collect`` gathers every non-None result, in hook order; ``pipeline``
  hands each implementation the previous one's result in the argument named
  by ``pipe`` and returns the last.
- ``runs``: ``request`` inside an HTTP request, under the hook deadline
  (``plugins.hook_deadline_seconds``) and without network I/O; ``worker`` in
  the job worker (may be slow, called at least once, must be idempotent);
  ``process`` once when a process starts or stops; ``app`` when the web app
  is built (before it serves).
- ``implementation``: ``any`` (``def`` or ``async def``) or ``sync`` (a plain
  function only: its caller cannot await).
- ``on_failure``: ``raise`` — an implementation that raises or misses its
  deadline fails the caller (fail closed: payment, tax, security);
  ``skip`` — its answer is left out, the failure is logged and shown to
  staff, and the others' answers stand.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, TypeVar

from engine import hookspec

Mode = Literal["first", "collect", "pipeline"]
Runs = Literal["request", "worker", "process", "app"]
Implementation = Literal["any", "sync"]
OnFailure = Literal["raise", "skip"]

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class HookContract:
    mode: Mode
    runs: Runs
    implementation: Implementation = "any"
    on_failure: OnFailure = "raise"
    #: for ``pipeline``: the argument that carries the previous result
    pipe: str | None = None


def spec(mode: Mode, runs: Runs, *, implementation: Implementation = "any", on_failure: OnFailure = "raise",
         pipe: str | None = None) -> Callable[[F], F]:
    """Declare a hook specification and how it is called (see the module docstring)."""
    if (mode == "pipeline") != (pipe is not None):
        raise ValueError("a pipeline hook names its pipe argument, and only a pipeline hook does")

    def declare(function: F) -> F:
        if pipe is not None and pipe not in function.__code__.co_varnames[:function.__code__.co_argcount]:
            raise ValueError(f"{function.__name__}: the pipe argument {pipe!r} is not one of its arguments")
        function.contract = HookContract(mode, runs, implementation, on_failure, pipe)  # type: ignore[attr-defined]
        return hookspec(firstresult=(mode == "first"))(function)

    return declare


def contract_of(function: Callable) -> HookContract:
    """The contract a spec function was declared with."""
    return function.contract  # type: ignore[attr-defined]
