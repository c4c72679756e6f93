"""Calling hooks: one caller that reads each spec's contract.

pluggy finds the hookimpls of the plugins registered in a ``PluginManager``; a
:class:`HookCaller` calls them itself, in hook order, the way the hook's
:class:`~engine.hookspecs.contract.HookContract` says:

- :meth:`HookCaller.hook` — ``await host.hook(name, **arguments)``: by the
  spec's ``mode``, the first non-None result (``first``), a :class:`Collected`
  list of ``(plugin, result)`` pairs (``collect``) or the value threaded
  through the ``pipe`` argument (``pipeline``).
- :meth:`HookCaller.hook_sync` — the same for ``implementation="sync"`` hooks
  called where nothing can be awaited (app creation, process start).
- :meth:`HookCaller.hook_plugin` — one plugin's implementation (event delivery).
- :meth:`HookCaller.call_provider` — a method of a provider object a plugin
  returned (``quotes``, ``compute``), under the same rules.

The rules, all read from the contract:

- Arguments: a hookimpl gets the subset of arguments it names; one that names
  ``settings`` the call site did not pass gets its own plugin's validated
  settings.
- ``runs="request"``: each implementation runs under
  ``plugins.hook_deadline_seconds`` (a call site's ``deadline`` may only
  shorten it). A plugin's plain ``def`` implementation runs in a worker thread
  (:mod:`engine.plugins.threads`), so a slow one is cut off at the deadline
  while the event loop serves other requests; core defaults
  (``manifest.core``) run inline, as they are fast and trusted. A circuit
  breaker (:mod:`engine.plugins.failures`) leaves out an implementation that
  failed ``plugins.breaker_failures`` times in a row, for
  ``plugins.breaker_cooldown_seconds``.
- A failure is an implementation that raises, misses its deadline, is left
  out by an open circuit, or whose answer the call site's ``accept`` refuses.
  It is logged and recorded for staff; then ``on_failure="raise"`` raises
  :class:`HookError` naming the plugin and ``on_failure="skip"`` leaves that
  plugin's answer out (:attr:`Collected.skipped` lists it).
- None results are dropped (``first`` goes on to the next plugin).
"""
from __future__ import annotations

import asyncio
import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pluggy
import structlog
from pydantic import BaseModel

from engine import tracing
from engine.hookspecs.contract import HookContract, contract_of
from engine.plugins.errors import HookError
from engine.plugins.failures import FailureLog
from engine.plugins.hookcheck import implementations
from engine.plugins.threads import HookThreads
from engine.protocols import FailureReport

log = structlog.get_logger("shopwright.plugins")

#: ``accept(plugin, result)`` returns what the caller gets for a non-None
#: result; raising HookError, TypeError or ValueError refuses it (a failure of
#: that plugin, under the hook's policy).
Accept = Callable[[str, Any], Any]


class Collected(list):
    """A ``collect`` hook's answer: ``(plugin, result)`` pairs in hook order.
    ``skipped`` holds the :class:`HookError` of each plugin left out
    (``on_failure="skip"``)."""

    def __init__(self, pairs: Iterable[tuple[str, Any]] = ()) -> None:
        super().__init__(pairs)
        self.skipped: list[HookError] = []


@dataclass(frozen=True)
class _Impl:
    plugin: str
    function: Callable
    argnames: tuple[str, ...]
    #: a plugin's plain def of a request hook: run in a worker thread
    threaded: bool
    settings_of: Callable[[str], BaseModel | None]


class _Outcome:
    """Combines the implementations' answers by the contract's mode."""

    def __init__(self, contract: HookContract, kwargs: dict[str, Any]) -> None:
        self.mode = contract.mode
        self.pipe = contract.pipe
        self.kwargs = kwargs
        self.collected = Collected()
        self.found: Any = None
        self.done = False

    def arguments(self) -> dict[str, Any]:
        return self.kwargs

    def add(self, plugin: str, ok: bool, result: Any) -> None:
        if not ok:
            self.collected.skipped.append(result)
        elif result is None:
            return
        elif self.mode == "first":
            self.found, self.done = result, True
        elif self.mode == "collect":
            self.collected.append((plugin, result))
        else:
            self.kwargs = {**self.kwargs, self.pipe: result}

    def result(self) -> Any:
        if self.mode == "first":
            return self.found
        if self.mode == "collect":
            return self.collected
        return self.kwargs[self.pipe]


class HookCaller:
    """Calls the hooks of the plugins registered in ``pm`` by their contracts.

    ``settings_for(plugin)``: an active plugin's settings; ``options``: the
    engine's ``[plugins]`` settings; ``is_core(plugin)``: whether a plugin is a
    core default (run inline); ``installed()``: ``(name, plugin object)`` of
    every usable installed plugin in hook order, for ``plugins="installed"``
    hooks, with ``stored_settings(plugin)`` their settings.
    """

    def __init__(self, pm: pluggy.PluginManager, settings_for: Callable[[str], BaseModel | None], options: Any,
                 is_core: Callable[[str], bool] = lambda name: False,
                 installed: Callable[[], list[tuple[str, Any]]] | None = None,
                 stored_settings: Callable[[str], BaseModel | None] | None = None) -> None:
        self.pm = pm
        self._settings_for = settings_for
        self._is_core = is_core
        self._installed = installed
        self._stored_settings = stored_settings or settings_for
        self.deadline: float = options.hook_deadline_seconds
        self.failure_log = FailureLog(options.breaker_failures, options.breaker_cooldown_seconds,
                                      options.failure_record_interval_seconds)
        self.threads = HookThreads(options.hook_threads)
        self._plans: dict[str, tuple[list, list[_Impl]]] = {}

    # ------------------------------------------------------------ plans
    def contract(self, name: str) -> HookContract:
        """The contract of hook ``name``; AttributeError for an unknown hook."""
        caller = getattr(self.pm.hook, name, None)
        if caller is None or caller.spec is None:
            raise AttributeError(f"no hook specification named {name!r}")
        return contract_of(caller.spec.function)

    def _impl(self, contract: HookContract, plugin: str, function: Callable, argnames: Iterable[str],
              settings_of: Callable[[str], BaseModel | None]) -> _Impl:
        threaded = (contract.runs == "request" and not self._is_core(plugin)
                    and not inspect.iscoroutinefunction(function))
        return _Impl(plugin, function, tuple(argnames), threaded, settings_of)

    def _plan(self, name: str) -> tuple[HookContract, list[_Impl]]:
        contract = self.contract(name)
        if contract.plugins == "installed" and self._installed is not None:
            return contract, self._installed_impls(name, contract)
        raw = getattr(self.pm.hook, name).get_hookimpls()
        cached = self._plans.get(name)
        if cached is not None and cached[0] == raw:
            return contract, cached[1]
        # pluggy's own call order: last in the list first.
        impls = [self._impl(contract, impl.plugin_name, impl.function, impl.argnames, self._settings_for)
                 for impl in reversed(raw)]
        self._plans[name] = (raw, impls)
        return contract, impls

    def _installed_impls(self, name: str, contract: HookContract) -> list[_Impl]:
        impls = []
        for plugin, obj in self._installed():
            for attribute, function, options in implementations(obj):
                if (options.get("specname") or attribute) == name:
                    argnames = list(inspect.signature(function).parameters)
                    impls.append(self._impl(contract, plugin, function, argnames, self._stored_settings))
        return impls

    def subscribers(self, name: str) -> list[str]:
        """Plugins whose implementation of ``name`` is called, in hook order."""
        return [impl.plugin for impl in self._plan(name)[1]]

    def _limit(self, contract: HookContract, deadline: float | None) -> float | None:
        if contract.runs == "request":
            return self.deadline if deadline is None else min(self.deadline, deadline)
        return deadline

    # ------------------------------------------------------------ calls
    async def hook(self, name: str, /, *, deadline: float | None = None, accept: Accept | None = None,
                   **kwargs: Any) -> Any:
        """Call hook ``name`` with ``kwargs`` by its contract (module docstring):
        the first result, a :class:`Collected` list, or the piped value."""
        contract, impls = self._plan(name)
        outcome = _Outcome(contract, kwargs)
        limit = self._limit(contract, deadline)
        for impl in impls:
            ok, result = await self._attempt(name, contract, impl, outcome.arguments(), limit, accept)
            outcome.add(impl.plugin, ok, result)
            if outcome.done:
                break
        return outcome.result()

    def hook_sync(self, name: str, /, *, accept: Accept | None = None, **kwargs: Any) -> Any:
        """:meth:`hook` for an ``implementation="sync"`` hook, where nothing can
        be awaited; TypeError for any other hook."""
        contract, impls = self._plan(name)
        if contract.implementation != "sync":
            raise TypeError(f"{name} may have async implementations: call it with `await host.hook({name!r}, ...)`")
        outcome = _Outcome(contract, kwargs)
        for impl in impls:
            try:
                result = impl.function(**self._arguments(impl, outcome.arguments()))
                if inspect.isawaitable(result):
                    if hasattr(result, "close"):
                        result.close()  # never awaited: silence the warning
                    raise TypeError(f"{name} is called where nothing can be awaited: make it a plain def")
                if accept is not None and result is not None:
                    result = accept(impl.plugin, result)
            except Exception as exc:
                outcome.add(impl.plugin, False, self._failed(name, contract, impl.plugin, exc, breaker=False))
                continue
            outcome.add(impl.plugin, True, result)
            if outcome.done:
                break
        return outcome.result()

    async def hook_plugin(self, name: str, plugin: str, /, *, deadline: float | None = None, **kwargs: Any) -> Any:
        """Call ``plugin``'s implementation of ``name`` alone (None when it has
        none, or when it failed and the hook skips failures)."""
        contract, impls = self._plan(name)
        for impl in impls:
            if impl.plugin == plugin:
                ok, result = await self._attempt(name, contract, impl, kwargs, self._limit(contract, deadline), None)
                return result if ok else None
        return None

    async def call_provider(self, name: str, plugin: str, method: Callable, /, *args: Any,
                            deadline: float | None = None, accept: Accept | None = None, **kwargs: Any) -> Any:
        """Await ``method(*args, **kwargs)``, a method of a provider ``plugin``
        returned from hook ``name`` (e.g. ``provider.quotes(request)``), under
        ``name``'s contract: the request deadline (a plugin's plain def method
        runs in a worker thread), the breaker and the failure record, as
        ``<name>:<method>``; ``accept`` as for :meth:`hook`. Returns its
        (accepted) result. A failure always raises
        :class:`HookError` naming the plugin: the call site does what the spec
        states for its providers (drop the provider, or fail)."""
        contract = self.contract(name)
        label = f"{name}:{getattr(method, '__name__', 'call')}"
        impl = self._impl(contract, plugin, functools.partial(method, *args), kwargs, lambda _: None)
        raising = HookContract(contract.mode, contract.runs, contract.implementation, "raise", None, contract.plugins)
        return (await self._attempt(label, raising, impl, kwargs, self._limit(contract, deadline), accept))[1]

    def instrument(self, wrap: Callable[[Callable], Callable]) -> None:
        """Route every call of one implementation through ``wrap(attempt)``
        (timing, metrics): it returns a coroutine function with ``_attempt``'s
        arguments and result."""
        self._attempt = wrap(self._attempt)  # type: ignore[method-assign]

    # ------------------------------------------------------------ one implementation
    def _arguments(self, impl: _Impl, kwargs: dict[str, Any]) -> dict[str, Any]:
        args = {}
        for argname in impl.argnames:
            if argname == "settings" and "settings" not in kwargs:
                args["settings"] = impl.settings_of(impl.plugin)
            else:
                args[argname] = kwargs[argname]
        return args

    @tracing.traced_hook_attempt
    async def _attempt(self, name: str, contract: HookContract, impl: _Impl, kwargs: dict[str, Any],
                       limit: float | None, accept: Accept | None) -> tuple[bool, Any]:
        """``(True, result)``, or ``(False, HookError)`` for a failure the hook
        skips; raises HookError for a failure it does not."""
        guarded = contract.runs == "request"
        failures = self.failure_log
        if guarded and not failures.allows(impl.plugin, name):
            error = HookError(impl.plugin, name, f"left out for {failures.reopens_in(impl.plugin, name):.0f}s more: "
                                                 f"it failed {failures.breaker_failures} times in a row")
            if contract.on_failure == "raise":
                raise error
            return False, error
        args = self._arguments(impl, kwargs)
        timer = None
        try:
            if impl.threaded:
                async with asyncio.timeout(limit) as timer:
                    result = await self.threads.run(impl.function, args)
                    if inspect.isawaitable(result):
                        result = await result
            else:
                result = impl.function(**args)
                if inspect.isawaitable(result):
                    async with asyncio.timeout(limit) as timer:
                        result = await result
        except TimeoutError as exc:
            if timer is not None and timer.expired():
                log.error("hook.timeout", plugin=impl.plugin, hook=name, deadline=limit)
                return False, self._failed(name, contract, impl.plugin, None, breaker=guarded,
                                           reason=f"missed its {limit}s deadline")
            return False, self._failed(name, contract, impl.plugin, exc, breaker=guarded)  # the plugin's own timeout
        except Exception as exc:
            return False, self._failed(name, contract, impl.plugin, exc, breaker=guarded)
        if accept is not None and result is not None:
            try:
                result = accept(impl.plugin, result)
            except (HookError, TypeError, ValueError) as exc:
                reason = exc.reason if isinstance(exc, HookError) else str(exc)
                log.error("hook.refused", plugin=impl.plugin, hook=name, reason=reason)
                return False, self._failed(name, contract, impl.plugin, None, breaker=guarded, reason=reason)
        if guarded:
            failures.succeeded(impl.plugin, name)
        return True, result

    def _failed(self, name: str, contract: HookContract, plugin: str, exc: BaseException | None,
                breaker: bool, reason: str | None = None) -> HookError:
        """Log and record a failure; raise it (``on_failure="raise"``) or return it."""
        if exc is not None:
            reason = f"raised {type(exc).__name__}: {exc}"
            log.error("hook.failed", plugin=plugin, hook=name, error=reason, exc_info=exc)
        error = HookError(plugin, name, reason or "failed")
        self.failure_log.failed(plugin, name, error.reason, breaker=breaker)
        self.report_failure(FailureReport("hook", plugin, error.reason, exc, hook=name))
        if contract.on_failure == "raise":
            if exc is not None:
                raise error from exc
            raise error
        return error

    def report_failure(self, failure: FailureReport) -> None:
        """Hand ``failure`` to the plugins that report failures
        (``lifecycle_failure``); a failure of that hook itself is not reported
        again. Never raises: ``hook_sync`` records a reporter that fails."""
        if failure.hook == "lifecycle_failure" or getattr(self.pm.hook, "lifecycle_failure", None) is None:
            return
        self.hook_sync("lifecycle_failure", failure=failure)
