"""ASGI entry point for Hypercorn worker processes: ``engine.asgi:app``.
Settings come from the environment and ``SHOPWRIGHT_CONFIG``.

Once a worker has started, its start-up objects are set aside from the
cyclic garbage collector (:func:`engine.runtime.set_start_up_objects_aside`).
Only a serving worker does this: an app made in a test process must not
freeze the objects of the tests before it.
"""
from engine.app import create_app
from engine.runtime import set_start_up_objects_aside

app = create_app()


@app.before_serving
async def _set_start_up_objects_aside() -> None:
    """Runs after the app's own start-up (registered after it in ``create_app``)."""
    set_start_up_objects_aside("web")
