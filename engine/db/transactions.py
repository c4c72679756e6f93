"""The part of a Piccolo transaction both our engines share: whatever ends it,
its connection goes back.

Piccolo's own transactions release their connection only after ``BEGIN`` and
``COMMIT``/``ROLLBACK`` have run to the end. A task cancelled in between — a
client that disconnects, shutdown cancelling a running job — leaves the
connection checked out for good: the pool shrinks by one each time, and
closing it (which waits for every connection) never returns.
"""
from __future__ import annotations


class ReturnsItsConnection:
    """Mixin for a Piccolo transaction class (before it in the bases).

    The engine-specific part is :meth:`give_back`: ``reusable`` is True only
    when ``BEGIN`` and ``COMMIT``/``ROLLBACK`` both ran to the end, so the
    connection is known to be outside any transaction."""

    __slots__ = ()

    async def give_back(self, reusable: bool) -> None:
        raise NotImplementedError

    async def __aenter__(self):
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            await self.give_back(reusable=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        reusable = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            reusable = True
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.give_back(reusable)
        return exception is None
