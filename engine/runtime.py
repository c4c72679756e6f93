"""The running shop: settings, database, plugin host, job queue, session store
and metrics.

A web app and a worker each own one :class:`Runtime`. ``start`` connects the
database, loads plugin state, starts the job queue and the background loops
(plugin state refresh, outbox relay); ``stop`` undoes it. A plugin installed while
the process runs (found by the plugin host's refresh) gets its tables bound to the
database and its jobs registered with the in-process runner before it can be enabled
(:meth:`Runtime.adopt`).
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from typing import Any, Iterable

import structlog

from engine.cache.memory import release_free_memory
from engine.db import Database
from engine.db.apps import CORE_APPS, all_app_modules, tables_of
from engine.jobs.arq_queue import ArqQueue
from engine.jobs.local import LocalRunner
from engine.jobs.registry import build_functions
from engine.metrics import Metrics
from engine.outbox import relay_outbox, release_claims
from engine.plugins import PluginHost
from engine.security.sessions import close_store, open_store
from engine.security.stores import SessionStore
from engine.settings import Settings
from engine.system import store_profile
from engine.tasks import cancel_and_wait
from engine import tracing

log = structlog.get_logger("shopwright.runtime")

#: how long stop() waits for its background loops (plugin refresh, outbox
#: relay) to end once cancelled
STOP_GRACE_SECONDS = 5.0


class NotMigrated(RuntimeError):
    pass


def set_start_up_objects_aside(process: str) -> int:
    """Set what a long-running process made to start (modules, plugins,
    settings, hook tables) aside from the cyclic garbage collector with
    ``gc.freeze()``; logs and returns how many objects that was. Call it once,
    when the process has started (a serving web worker, a job worker) — never
    in a process that makes apps for tests. Those objects live as long as the
    process, yet every full collection walked them: about 100 ms each under
    varied traffic (docs/performance.md, "The cyclic garbage collector"). The
    price: a start-up object that later becomes garbage inside a reference
    cycle (say, after a plugin change without a restart) is kept until the
    process restarts."""
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start_up_objects_frozen", process=process, objects=frozen)
    return frozen


class Runtime:
    def __init__(self, settings: Settings, plugins: Iterable[Any] | None = None, include_defaults: bool = True) -> None:
        self.settings = settings
        tracing.configure(settings)
        self.database = Database(settings.database_url, settings.database)
        self.host = PluginHost(settings, plugins=plugins, include_defaults=include_defaults)
        self.queue = ArqQueue(settings) if settings.redis_url else LocalRunner(settings)
        self.metrics = Metrics()
        self.host.instrument(self.metrics.instrument_hooks)
        #: Unix seconds for the time windows services apply (login throttling);
        #: the wall clock, replaced by tests that step through a window
        self.clock = time.time
        self.started = False
        self._tasks: list[asyncio.Task] = []
        self._relay_wakeup: asyncio.Event | None = None
        self._session_store: SessionStore | None = None
        self._jobs_registered = False
        self.host.on_discovered(self.adopt)

    @property
    def session_store(self) -> SessionStore:
        """Where this process keeps server-side sessions (opened on first use)."""
        if self._session_store is None:
            self._session_store = open_store(self.settings)
        return self._session_store

    # -------------------------------------------------------------- schema
    def plugin_apps(self, only_enabled: bool = False) -> list[str]:
        apps = []
        for name, plugin in sorted(self.host.installed.items()):
            if plugin.error or not plugin.manifest or not plugin.manifest.piccolo_app:
                continue
            if only_enabled and not (plugin.core or self.host.is_active(name) or self.host.status_of(name).enabled):
                continue
            apps.append(plugin.manifest.piccolo_app)
        return apps

    def app_modules(self, only_enabled: bool = False) -> list[str]:
        return all_app_modules(self.plugin_apps(only_enabled))

    async def connect(self) -> None:
        """Connect and bind tables, without loading plugin state (for migrate)."""
        await self.database.start(list(tables_of(self.app_modules())))

    async def migrate(self, echo=print, only_enabled: bool = True) -> list:
        from engine.db.migrate import migrate

        applied = await migrate(self.database, CORE_APPS, echo=echo)
        with contextlib.suppress(Exception):
            await self.host.refresh()
        applied += await migrate(self.database, self.app_modules(only_enabled=only_enabled), echo=echo)
        return applied

    # -------------------------------------------------------------- lifecycle
    async def start(self, background: bool = True, jobs: bool = True) -> None:
        await self.connect()
        from engine.db.migrate import pending_migrations

        pending = await pending_migrations(self.database, CORE_APPS)
        if pending:
            raise NotMigrated(f"database needs migrations ({len(pending)} pending): run `shopwright migrate`")
        await self.host.refresh()
        await store_profile.refresh(self.settings)
        if jobs:
            if isinstance(self.queue, LocalRunner):
                self.queue.register(*build_functions(self))
                self._jobs_registered = True
            try:
                await self.queue.start()
            except Exception as exc:  # Redis down: keep serving, events wait in the outbox
                log.error("queue.unavailable", error=repr(exc))
        self._relay_wakeup = asyncio.Event()
        if background:
            self._tasks.append(asyncio.create_task(self._refresh_loop(), name="shopwright-plugin-refresh"))
            if self.settings.cache.trim_interval_seconds:
                self._tasks.append(asyncio.create_task(self._trim_loop(), name="shopwright-memory-trim"))
            if jobs:
                self._tasks.append(asyncio.create_task(self._relay_loop(), name="shopwright-outbox-relay"))
        self.started = True
        await self.host.hook("lifecycle_startup", runtime=self)

    def adopt(self, plugins: list) -> None:
        """Plugins installed while running (:meth:`PluginHost.on_discovered`): bind
        the tables of their Piccolo apps to the database and, when this process runs
        jobs in-process, register their jobs. (The ``shopwright worker`` process adds
        them to its arq worker the same way.)"""
        apps = [plugin.manifest.piccolo_app for plugin in plugins
                if plugin.error is None and plugin.manifest and plugin.manifest.piccolo_app]
        if apps:
            self.database.bind(tables_of(apps))
        if self._jobs_registered and isinstance(self.queue, LocalRunner):
            self.queue.adopt(*build_functions(self))

    async def stop(self) -> None:
        if not self.started:
            await self._close_session_store()
            await self.database.close()
            return
        await self.host.hook("lifecycle_shutdown", runtime=self)
        await self.host.deactivate()
        stuck = await cancel_and_wait(self._tasks, STOP_GRACE_SECONDS)
        if stuck:
            log.warning("runtime.tasks_left_running", tasks=sorted(task.get_name() for task in stuck))
        self._tasks.clear()
        await self.queue.close()
        token = getattr(self.queue, "claim_token", None)
        if token:
            try:
                await release_claims(token)
            except Exception as exc:  # the database may be the reason we stop
                log.warning("outbox.release_claims_failed", error=repr(exc))
        with contextlib.suppress(Exception):  # logged by the failure log
            await self.host.flush_failures(force=True)
        self.host.close()
        await self._close_session_store()
        await self.database.close()
        tracing.flush()
        self.started = False

    async def _close_session_store(self) -> None:
        if self._session_store is not None:
            store, self._session_store = self._session_store, None
            await close_store(store)

    async def _refresh_loop(self) -> None:
        interval = self.settings.plugins.refresh_interval_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await self.host.refresh()
                await store_profile.refresh(self.settings)  # the admin's store settings, in workers too
            except Exception as exc:
                log.warning("plugins.refresh_failed", error=repr(exc))
            # hook failures seen here, for staff (at most once per record interval per plugin)
            await self.host.flush_failures()

    async def _trim_loop(self) -> None:
        interval = self.settings.cache.trim_interval_seconds
        while True:
            await asyncio.sleep(interval)
            await asyncio.to_thread(release_free_memory)

    async def _relay_loop(self) -> None:
        interval = self.settings.jobs.relay_interval_seconds
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow
            # the cancellation from stop() when it lands as the timeout fires.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._relay_wakeup.wait()
            self._relay_wakeup.clear()
            await self.relay_now()

    async def relay_now(self) -> int:
        """Relay the outbox now (called after a commit that emitted events).
        A queue that is down (Redis) reconnects lazily; until then each round
        records the failure on the oldest unrelayed event."""
        try:
            relayed = await relay_outbox(self.queue)
        except Exception as exc:
            log.warning("outbox.relay_error", error=repr(exc))
            return 0
        if relayed:
            self.metrics.outbox_relayed.inc(relayed)
        return relayed

    def events_committed(self) -> None:
        """Wake the relay: domain services call this after committing events."""
        if self._relay_wakeup is not None:
            self._relay_wakeup.set()
