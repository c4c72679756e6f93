"""Caching that never serves a change late.

- :mod:`engine.cache.counters`: change counters kept by database triggers in
  the transaction of every change to the catalog, stock, site settings and
  plugin state; every process reads them (cheaply) to know what is stale.
- :mod:`engine.cache.store`: the per-process store, optionally backed by
  Redis (``[cache] backend = "redis"``), with entries tied to counter values.
- :mod:`engine.web.caching`: whole responses for anonymous shoppers, catalog
  reads for the storefront views, HTML ETags.
- :mod:`engine.web.fastpath`: cached answers to plain anonymous GETs served
  before the web framework runs.

Settings: ``[cache]`` in ``config/shopwright.toml``; figures and reasoning in
``docs/performance.md``.
"""
