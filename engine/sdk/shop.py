"""The shop's database and settings as a plugin uses them: a write
transaction for the plugin's own tables, the store's currency, and the
runtime of the request a plugin's route serves."""
from __future__ import annotations

from typing import Any

__all__ = ["request_runtime", "store_currency", "transaction"]


def transaction(runtime: Any) -> Any:
    """An async context manager: a write transaction on the shop's database
    (``BEGIN IMMEDIATE`` on SQLite, so two writers never deadlock on a lock
    upgrade). Every query of the plugin's own Piccolo tables run inside it
    joins it; it commits when the block ends and rolls everything back when
    the block raises. Keep it short and off the network: on SQLite it holds
    the shop's write lock. Inside a hook that already runs in a transaction
    (``orders_placing``) do not open one: your writes join the order's.
    Example (replacing a plugin's table at once)::

        async with sdk.transaction(runtime):
            await Rate.delete(force=True)
            await Rate.insert(*rows)
    """
    return runtime.database.transaction()


def store_currency(runtime: Any) -> str:
    """The ISO 4217 code of the store's currency (``[store] currency``):
    the currency of every cart, order and shipping quote. Example::

        if row["currency"] != sdk.store_currency(runtime):
            raise ValueError(f"prices must be in {sdk.store_currency(runtime)}")
    """
    return runtime.settings.store.currency


def request_runtime() -> Any:
    """The runtime of the app serving the current request, for a view of a
    plugin's ``lifecycle_blueprints`` routes (hooks, jobs and admin pages get
    it handed). Raises ``RuntimeError`` outside a request. Example::

        @blueprint.get("/loyalty/balance")
        async def balance():
            found = await sdk.product(sdk.request_runtime(), "gift-card")
    """
    from quart import current_app

    return current_app.runtime
