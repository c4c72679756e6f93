"""Calling hooks: in hook order, awaiting async hookimpls, under a deadline.

pluggy finds the hookimpls of the plugins registered in a ``PluginManager``; a
:class:`HookCaller` calls them itself, in pluggy's call order, so that an ``async def``
hookimpl is awaited. A hookimpl that takes a ``settings`` argument the caller did not pass
receives its own plugin's validated settings.

Contract: a hookimpl that raises, or whose awaitable outlives ``deadline`` seconds, becomes a
:class:`HookError` naming the plugin and the hook, and is logged. None results are dropped.
``first``, ``call``, ``call_each``, ``call_plugin`` and ``call_sync`` stop at the first
failure; ``gather_each`` runs the hookimpls concurrently and hands each failure back.
"""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable

import pluggy
import structlog
from pydantic import BaseModel

from engine.plugins.errors import HookError

log = structlog.get_logger("shopwright.plugins")


class HookCaller:
    """Calls the hooks of the plugins registered in ``pm``; ``settings_for(plugin name)``
    gives a plugin's settings."""

    def __init__(self, pm: pluggy.PluginManager, settings_for: Callable[[str], BaseModel | None]) -> None:
        self.pm = pm
        self._settings_for = settings_for

    def _impls(self, hook: str):
        caller = getattr(self.pm.hook, hook, None)
        if caller is None:
            raise AttributeError(f"no hook specification named {hook!r}")
        # pluggy's own call order: last in the list first.
        return caller, list(reversed(caller.get_hookimpls()))

    async def _run_impl(self, hook: str, impl, kwargs: dict, deadline: float | None) -> Any:
        args = {}
        for argname in impl.argnames:
            if argname == "settings" and "settings" not in kwargs:
                args["settings"] = self._settings_for(impl.plugin_name)
            else:
                args[argname] = kwargs[argname]
        timer = None
        try:
            result = impl.function(**args)
            if inspect.isawaitable(result):
                if deadline:
                    # In this task (no task per call, as wait_for would make).
                    timer = asyncio.timeout(deadline)
                    async with timer:
                        result = await result
                else:
                    result = await result
            return result
        except asyncio.TimeoutError as exc:
            if timer is None or not timer.expired():  # the plugin's own timeout
                log.exception("hook.failed", plugin=impl.plugin_name, hook=hook)
                raise HookError(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}") from exc
            log.error("hook.timeout", plugin=impl.plugin_name, hook=hook, deadline=deadline)
            raise HookError(impl.plugin_name, hook, f"missed its {deadline}s deadline") from None
        except HookError:
            raise
        except Exception as exc:
            log.exception("hook.failed", plugin=impl.plugin_name, hook=hook)
            raise HookError(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}") from exc

    def subscribers(self, hook: str) -> list[str]:
        """Active plugins implementing ``hook``, in hook order."""
        _, impls = self._impls(hook)
        return [impl.plugin_name for impl in impls]

    async def call_plugin(self, hook: str, plugin: str, deadline: float | None = None, **kwargs: Any) -> Any:
        """Call one active plugin's implementation of ``hook`` (None if it has none)."""
        _, impls = self._impls(hook)
        for impl in impls:
            if impl.plugin_name == plugin:
                return await self._run_impl(hook, impl, kwargs, deadline)
        return None

    async def call_each(self, hook: str, deadline: float | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Collect-all: ``(plugin name, result)`` for every non-None result, in hook
        order. The first failing hookimpl raises :class:`HookError`."""
        _, impls = self._impls(hook)
        results = []
        for impl in impls:
            result = await self._run_impl(hook, impl, kwargs, deadline)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    async def call(self, hook: str, deadline: float | None = None, **kwargs: Any) -> list[Any]:
        """Collect-all: every non-None result, in hook order."""
        return [result for _, result in await self.call_each(hook, deadline, **kwargs)]

    async def first(self, hook: str, deadline: float | None = None, **kwargs: Any) -> Any:
        """Firstresult: the first non-None result in hook order, or None."""
        _, impls = self._impls(hook)
        for impl in impls:
            result = await self._run_impl(hook, impl, kwargs, deadline)
            if result is not None:
                return result
        return None

    async def gather_each(self, hook: str, deadline: float | None = None, **kwargs: Any):
        """Collect-all run concurrently: ``(plugin, result or HookError)`` pairs in
        hook order. A failing plugin does not stop the others; the caller decides."""
        _, impls = self._impls(hook)

        async def one(impl):
            try:
                return impl.plugin_name, await self._run_impl(hook, impl, kwargs, deadline)
            except HookError as exc:
                return impl.plugin_name, exc

        pairs = await asyncio.gather(*(one(impl) for impl in impls))
        return [(name, result) for name, result in pairs if result is not None]

    def call_sync(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Collect-all for sync-only hooks (``*_blueprints``, ``jobs_register``)."""
        _, impls = self._impls(hook)
        results = []
        for impl in impls:
            args = {a: (self._settings_for(impl.plugin_name) if a == "settings" and a not in kwargs else kwargs[a]) for a in impl.argnames}
            try:
                result = impl.function(**args)
            except Exception as exc:
                log.exception("hook.failed", plugin=impl.plugin_name, hook=hook)
                raise HookError(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}") from exc
            if inspect.isawaitable(result):
                raise HookError(impl.plugin_name, hook, "must be a plain function, not async")
            if result is not None:
                results.append((impl.plugin_name, result))
        return results
