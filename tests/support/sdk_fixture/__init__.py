"""A plugin written against the public API only (``engine``, ``engine.sdk``,
``engine.protocols``, ``engine.money``), used by the SDK's tests: it reads the
catalog, sets stock with an origin, adds a command, admin pages, storefront
assets and an in-transaction order hook."""
