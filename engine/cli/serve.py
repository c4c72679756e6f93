"""``shopwright serve``: the web server (the job worker is :mod:`engine.cli.worker`)."""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator

import click

from engine.cli.common import fail, settings_from
from engine.metrics import MULTIPROC_ENV, multiprocess_dir


@click.command()
@click.option("--host", default=None, help="Interface to bind (default: server.host).")
@click.option("--port", type=int, default=None, help="Port (default: server.port).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: server.workers).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the store with Hypercorn."""
    from hypercorn.config import Config
    from hypercorn.run import run as run_hypercorn

    settings = settings_from(ctx)
    host, port = host or settings.server.host, port or settings.server.port
    refuse_busy_port(host, port)
    config = Config()
    config.application_path = "engine.asgi:app"
    config.bind = [f"{host}:{port}"]
    config.workers = workers or settings.server.workers
    try:
        import uvloop  # noqa: F401

        config.worker_class = "uvloop"  # balances keep-alive connections across workers
    except ImportError:
        config.worker_class = "asyncio"
    config.accesslog = None
    config.graceful_timeout = 5
    if ctx.obj.get("config"):
        os.environ["SHOPWRIGHT_CONFIG"] = ctx.obj["config"]
    click.echo(f"serving on http://{config.bind[0]} with {config.workers} worker(s)")
    with shared_metrics(config.workers):
        code = run_hypercorn(config)
    sys.exit(code)


@contextlib.contextmanager
def shared_metrics(workers: int) -> Iterator[None]:
    """With several workers, give them one fresh metrics directory (removed
    afterwards) so ``/metrics`` shows the server's totals, not one worker's
    (:mod:`engine.metrics`). A directory the operator set is used as it is
    (it must be emptied before each start)."""
    if workers <= 1 or multiprocess_dir() is not None:
        yield
        return
    directory = tempfile.mkdtemp(prefix="shopwright-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


def refuse_busy_port(host: str, port: int) -> None:
    """Exit with one ``error:`` line when ``host:port`` cannot be bound (another
    process listens there, or the address is not this machine's), before
    Hypercorn would fail with a traceback in every worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use: pick another with --port N "
                     f"(or PORT=N make demo)")
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")
