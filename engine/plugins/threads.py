"""Threads for plugins' plain ``def`` request hooks, so they never block the event loop.

:class:`HookThreads` is a small pool of daemon threads (``plugins.hook_threads``,
started on first use). :meth:`HookThreads.run` hands a call to the pool and
returns an asyncio future the caller awaits under the hook deadline. When the
deadline passes the caller stops waiting (the future is cancelled) while the
thread finishes the call in the background: Python cannot stop a thread, so
its result is dropped. The threads are daemons, so a call that never returns
cannot keep the process from exiting; when every thread is busy, later calls
wait in the queue, still under their own deadline, and the circuit breaker
soon stops sending calls to an implementation that keeps hanging.

The call runs in a copy of the caller's context (``contextvars``): the request
id in log lines, Quart's request and app context.
"""
from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from typing import Any, Callable

import structlog

log = structlog.get_logger("shopwright.plugins")


def _settle(future: asyncio.Future, ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class HookThreads:
    """A pool of ``size`` daemon threads for blocking hook implementations."""

    def __init__(self, size: int, name: str = "shopwright-hook") -> None:
        self.size = size
        self.name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def run(self, function: Callable[..., Any], kwargs: dict[str, Any]) -> asyncio.Future:
        """Call ``function(**kwargs)`` in a pool thread; a future of its result."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self._jobs.put((loop, future, contextvars.copy_context(), function, kwargs))
        return future

    def _start(self) -> None:
        if len(self._threads) >= self.size:
            return
        with self._lock:
            while len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, future, context, function, kwargs = job
            if future.cancelled():  # its caller stopped waiting before a thread was free
                continue
            try:
                ok, value = True, context.run(function, **kwargs)
            except BaseException as exc:  # handed to the caller, which names the plugin
                ok, value = False, exc
            try:
                loop.call_soon_threadsafe(_settle, future, ok, value)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def close(self) -> None:
        """Let the idle threads end (busy ones end when their call returns)."""
        with self._lock:
            for _ in self._threads:
                self._jobs.put(None)
            self._threads = []
