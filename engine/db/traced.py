"""A span per SQL statement (:mod:`engine.tracing`), for both of our engines.

Every statement the shop runs — Piccolo's queries and the raw SQL of
:mod:`engine.db.sql` alike — goes through the engine's ``run_querystring`` or
``run_ddl``; this mixin wraps those two. With tracing off it only passes the
call on. The span records the statement with its placeholders, never the
values bound to them (personal data stays out of traces). ``BEGIN``,
``COMMIT`` and ``ROLLBACK``, which the transaction classes send themselves,
have no span of their own: the statements inside show the transaction.
"""
from __future__ import annotations

from typing import Any

from engine import tracing


class TracedStatements:
    """Mixin for a Piccolo engine class (before it in the bases)."""

    __slots__ = ()

    async def run_querystring(self, querystring: Any, *args: Any, **kwargs: Any):
        if not tracing.enabled():
            return await super().run_querystring(querystring, *args, **kwargs)
        sql, _values = querystring.compile_string(engine_type=self.engine_type)
        with tracing.statement(sql, self.engine_type):
            return await super().run_querystring(querystring, *args, **kwargs)

    async def run_ddl(self, ddl: str, *args: Any, **kwargs: Any):
        with tracing.statement(ddl, self.engine_type):
            return await super().run_ddl(ddl, *args, **kwargs)
