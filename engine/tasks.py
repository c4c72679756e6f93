"""Stopping background tasks without hanging on one that will not stop."""
from __future__ import annotations

import asyncio
import time
from typing import Iterable


async def cancel_and_wait(tasks: Iterable[asyncio.Task], grace_seconds: float) -> set[asyncio.Task]:
    """Cancel ``tasks`` and wait up to ``grace_seconds`` for them to end;
    returns those still running (left behind: the caller logs them).

    Cancels again and again while waiting: on Python < 3.12 a cancellation
    that lands as ``asyncio.wait_for`` completes is swallowed, and a task that
    swallowed one would otherwise keep the caller waiting for ever."""
    pending = set(tasks)
    deadline = time.monotonic() + grace_seconds
    while pending and time.monotonic() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(0.1, max(deadline - time.monotonic(), 0.001)))
    return pending
