"""ASGI entry point for Hypercorn worker processes: ``engine.asgi:app``.
Settings come from the environment and ``SHOPWRIGHT_CONFIG``.

Once a worker has started, the objects it made to get there (modules,
plugins, settings, hook tables) are set aside from the cyclic garbage
collector with ``gc.freeze()``: they live as long as the process, yet every
full collection walked all of them, a pause of about 100 ms every few seconds
under varied traffic (docs/performance.md, "The cyclic garbage collector").
Only a serving worker does this: an app made in a test process must not
freeze the objects of the tests before it. The price: a start-up object that
later becomes garbage inside a reference cycle (say, after a plugin change
without a restart) is kept until the worker restarts.
"""
import gc

from engine.app import create_app

app = create_app()


@app.before_serving
async def _set_start_up_objects_aside() -> None:
    """Runs after the app's own start-up (registered after it in ``create_app``)."""
    gc.freeze()
