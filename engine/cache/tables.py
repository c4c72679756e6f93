"""The change counters every process compares to know what it may still serve from cache."""
from __future__ import annotations

from piccolo.columns import BigInt, Integer, Varchar
from piccolo.table import Table


class CacheGeneration(Table, tablename="cache_generations"):
    """One counter per (scope, slot); a scope's generation is the sum over its slots.

    Database triggers add 1 in the transaction that changes a tracked table
    (see :mod:`engine.cache.counters`). PostgreSQL spreads concurrent writers
    over several slots so that they do not queue on one row; SQLite, which has
    one writer at a time, uses slot 0 only.
    """

    scope = Varchar(length=50)
    slot = Integer(default=0)
    value = BigInt(default=0)


TABLES = [CacheGeneration]
