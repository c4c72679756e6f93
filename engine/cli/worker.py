"""``shopwright worker``: the arq job worker process.

It starts a :class:`~engine.runtime.Runtime` (database, plugins, outbox
relay), then runs :class:`engine.jobs.worker.ShopWorker` until SIGTERM or
SIGINT: Redis outages are ridden out (reconnection with backoff), and a stop
lets running jobs finish within ``jobs.shutdown_grace_seconds`` and hands
the rest back to the queue, then exits 0. With ``--health-port`` (or
``jobs.worker_health_port``) it serves ``/healthz`` and ``/readyz``
(:mod:`engine.jobs.health`). ``--burst`` runs what is queued and exits.

Once started, a long-running worker sets its start-up objects aside from the
cyclic garbage collector, as a web worker does
(:func:`engine.runtime.set_start_up_objects_aside`).
"""
from __future__ import annotations

import asyncio
import signal

import click

from engine.cli.common import fail, run, settings_from
from engine.settings import Settings


@click.command()
@click.option("--burst", is_flag=True, help="Run queued jobs, then exit.")
@click.option("--health-port", type=click.IntRange(0, 65535), default=None,
              help="Serve /healthz and /readyz on this port (default: jobs.worker_health_port; 0: off).")
@click.option("--health-host", default=None, help="Interface of the health endpoint (default: jobs.worker_health_host).")
@click.pass_context
def worker(ctx: click.Context, burst: bool, health_port: int | None, health_host: str | None) -> None:
    """Run the arq job worker (needs SHOPWRIGHT_REDIS_URL).

    It rides out Redis outages (reconnecting with backoff) and stops on SIGTERM
    or SIGINT: running jobs get jobs.shutdown_grace_seconds to finish, the rest
    are handed back to the queue, and it exits 0.
    """
    settings = settings_from(ctx)
    if not settings.redis_url:
        fail("the worker needs SHOPWRIGHT_REDIS_URL (without it, jobs run inside `shopwright serve`)")
    port = settings.jobs.worker_health_port if health_port is None else health_port
    host = health_host or settings.jobs.worker_health_host
    run(lambda: _work(settings, burst, (host, port) if port and not burst else None))


async def _work(settings: Settings, burst: bool, health: tuple[str, int] | None) -> None:
    from engine.jobs.arq_queue import make_worker
    from engine.logs import configure_logging
    from engine.runtime import NotMigrated, Runtime, set_start_up_objects_aside

    configure_logging(settings.logging.level, settings.logging.format)
    # A SIGTERM while starting stops the worker once it runs (a burst worker just dies).
    stop_asked = asyncio.Event() if burst else _catch_stop_signals()
    runtime = Runtime(settings)
    try:
        await runtime.start(background=True, jobs=True)
    except NotMigrated as exc:
        fail(str(exc))
    try:
        arq_worker = make_worker(runtime, burst=burst)
        try:
            if burst:
                await arq_worker.main()
            else:
                set_start_up_objects_aside("worker")
                await _until_stopped(arq_worker, runtime, health, stop_asked)
        finally:
            await arq_worker.close()
    finally:
        await runtime.stop()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _catch_stop_signals() -> asyncio.Event:
    """Remember SIGTERM/SIGINT (set the returned event) instead of dying at once."""
    asked = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, asked.set)
    return asked


def metrics_page(runtime):
    """The worker's ``/metrics`` on its health port: its own figures, for whom
    the web process's rule lets in."""
    from engine.jobs.health import MetricsPage
    from engine.web.ops import metrics_allowed

    ops = runtime.settings.ops
    return MetricsPage(lambda peer, headers: metrics_allowed(ops, peer=peer, headers=headers),
                       runtime.metrics.render, runtime.metrics.content_type)


async def _until_stopped(arq_worker, runtime, health: tuple[str, int] | None, stop_asked: asyncio.Event) -> None:
    """Run the worker until SIGTERM/SIGINT, serving its health endpoint meanwhile."""
    from engine.jobs.health import serve_health

    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, arq_worker.request_stop)
    if stop_asked.is_set():
        arq_worker.request_stop()
    server = None
    if health is not None:
        try:
            server = await serve_health(*health, arq_worker, runtime.database.ping, metrics_page(runtime))
        except OSError as exc:
            fail(f"cannot serve the worker's health endpoint on {health[0]}:{health[1]}: {exc}")
    try:
        await arq_worker.run_until_stopped()
    finally:
        if server is not None:
            server.close()
