"""The ASGI entry point Hypercorn loads (``engine.asgi:app``): once the
worker has started, its start-up objects are out of the cyclic garbage
collector's way (``gc.freeze()``), so full collections stay short."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import asyncio, gc

    from engine.asgi import app

    async def main():
        print(gc.get_freeze_count())
        await app.startup()  # what Hypercorn runs in a worker before serving
        try:
            print(gc.get_freeze_count())
        finally:
            await app.shutdown()

    asyncio.run(main())
""")


def test_a_started_worker_sets_its_start_up_objects_aside(sqlite_url, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SHOPWRIGHT_")}
    env.update(SHOPWRIGHT_DATABASE_URL=sqlite_url, SHOPWRIGHT_CONFIG=os.devnull, SHOPWRIGHT_SECRET_KEY="k" * 40,
               SHOPWRIGHT_LOGGING__LEVEL="ERROR")
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split()[-2:]
    assert int(before) == 0  # importing the app freezes nothing: only serving does
    assert int(after) > 50_000  # modules, plugins, settings: everything made to start
