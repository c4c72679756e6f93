"""Reads that domain code keeps across requests, where the web layer allows.

A domain function that reads something many requests share and that changes
only with a change counter's scope (e.g. a category's facet counts: the
``catalog`` scope) asks for it through :func:`kept`. Inside a web request the
web layer has set a *keeper* (:func:`keep_with`): the value comes from the
process's cache, made under the current counters of the scopes named, so it
is never older than what the request reads from the database. Anywhere else
(the CLI, the job worker, tests that call services directly) there is no
keeper and :func:`kept` simply loads.

The keeper is a context variable, so it follows the request's task and
nothing else; this package stays free of any web framework.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Hashable

Load = Callable[[], Awaitable[Any]]
#: ``keeper(kind, key, scopes, load)``: the cached value or ``await load()``
Keeper = Callable[[str, Hashable, tuple[str, ...], Load], Awaitable[Any]]

_keeper: ContextVar[Keeper | None] = ContextVar("shopwright_read_keeper", default=None)


async def kept(kind: str, key: Hashable, scopes: tuple[str, ...], load: Load) -> Any:
    """``await load()``, or the value kept under ``(kind, key)`` while the
    change counters of ``scopes`` stand still (see the module docs).

    Contract for callers: ``load`` reads only what ``scopes`` count; its value
    is plain data (JSON-compatible: it may be shared through Redis) and is
    shared between requests, so never change it; None is never kept."""
    keeper = _keeper.get()
    if keeper is None:
        return await load()
    return await keeper(kind, key, scopes, load)


def keep_with(keeper: Keeper | None) -> None:
    """Set the keeper for the current context (the web layer, at the start of
    every request)."""
    _keeper.set(keeper)
