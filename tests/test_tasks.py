"""engine.tasks.cancel_and_wait: stopping background tasks never hangs."""
from __future__ import annotations

import asyncio
import time

from engine.tasks import cancel_and_wait


async def test_a_task_that_swallows_a_cancellation_is_cancelled_again():
    swallowed = []

    async def swallows_once():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            swallowed.append(True)  # as wait_for on Python < 3.12 may
        await asyncio.sleep(60)

    task = asyncio.create_task(swallows_once())
    await asyncio.sleep(0)
    assert await cancel_and_wait([task], grace_seconds=5) == set()
    assert swallowed == [True] and task.cancelled()


async def test_a_task_that_never_stops_is_left_behind_after_the_grace_period():
    released = asyncio.Event()

    async def never_stops():
        while not released.is_set():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                pass

    stubborn = asyncio.create_task(never_stops())
    polite = asyncio.create_task(asyncio.sleep(60))
    await asyncio.sleep(0)
    started = time.monotonic()
    assert await cancel_and_wait([stubborn, polite], grace_seconds=0.5) == {stubborn}
    assert time.monotonic() - started >= 0.45, "it waited out the grace period"
    assert polite.cancelled()
    released.set()  # the test's own clean-up
    stubborn.cancel()
    await asyncio.wait({stubborn}, timeout=5)
    assert stubborn.done()
