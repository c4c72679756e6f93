"""Caching that never serves a change late.

- :mod:`engine.cache.counters`: change counters kept by database triggers in
  the transaction of every change to the catalog, stock, site settings and
  plugin state; every process reads them (cheaply) to know what is stale.
- :mod:`engine.cache.store`: the per-process store, optionally backed by
  Redis (``[cache] backend = "redis"``), with entries tied to counter values.
- :mod:`engine.cache.responses`: cached responses — the entry, its key, the
  markers for per-response secrets, ETags, what may be stored and what can be
  answered without the web framework.

This package knows no web framework: :mod:`engine.web.caching` wires it into
the Quart app (whole responses for anonymous shoppers, catalog reads for the
storefront views) and :mod:`engine.web.fastpath` serves cached answers to
plain anonymous GETs before the framework runs.

Settings: ``[cache]`` in ``config/shopwright.toml``; figures and reasoning in
``docs/performance.md``.
"""
