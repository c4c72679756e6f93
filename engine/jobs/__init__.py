"""Background jobs, one module per concern:

- :mod:`engine.jobs.registry` — job definitions from ``jobs_register``, the
  wrapper that gives every job the same retry, timeout and disabled-plugin
  rules, and the function table both runners execute;
- :mod:`engine.jobs.arq_queue` — the arq queue on Redis and the worker that
  ``shopwright worker`` runs;
- :mod:`engine.jobs.local` — the in-process runner used when no Redis URL is
  set.

The engine imports from those modules. This package re-exports only what
plugin authors' tests use (docs/jobs.md, the tests ``shopwright plugin new``
generates), so those imports keep working.
"""
from engine.jobs.arq_queue import make_worker
from engine.jobs.registry import JobRegistrationError, UnknownJob, collect_jobs

__all__ = ["JobRegistrationError", "UnknownJob", "collect_jobs", "make_worker"]
