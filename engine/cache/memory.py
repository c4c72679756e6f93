"""Giving back to the system the memory that evicted cache entries leave.

A worker's caches turn over all the time under varied traffic: every filtered
category page is tens of kilobytes, kept until less recent ones push it out.
glibc's allocator keeps the space they leave inside its heap, scattered among
live objects, so the worker's resident size creeps up although the caches stay
within their budget: about 10 MB after a few minutes of random filtered pages
(docs/performance.md, "Worker memory: the allocator's free pages").
``malloc_trim(0)`` hands the free pages back. Where the C library is not glibc
(musl, macOS) there is nothing to call and :func:`release_free_memory` does
nothing.
"""
from __future__ import annotations

import ctypes
from typing import Callable


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _find_malloc_trim()


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system; False where there is
    no ``malloc_trim``. Safe from any thread (ctypes drops the GIL for the
    call, so the event loop goes on meanwhile)."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True
