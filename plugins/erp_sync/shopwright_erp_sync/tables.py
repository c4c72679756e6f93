"""The plugin's own tables (Piccolo app ``erp_sync``). Only
:mod:`shopwright_erp_sync.store` writes them.

- :class:`ErpState`: small named values (the pull cursor per connector, the
  last run's summary as JSON).
- :class:`ErpLink`: the mapping between a store key and an ERP id, by kind
  (``order``: order number → sale order id; ``product``: product slug →
  template ref). Unique per (kind, store key): a second push of an order
  finds the first one's ERP id.
- :class:`ErpDeadLetter`: an item that failed for good (a product the ERP
  faulted on, an order the ERP refused or that ran out of tries), with the
  error; ``resolved`` is set when a retry succeeded. Nothing is dropped.
"""
from __future__ import annotations

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class ErpState(Table, tablename="erp_sync_state"):
    key = Varchar(length=100, unique=True)
    value = Text(default="")


class ErpLink(Table, tablename="erp_sync_links"):
    kind = Varchar(length=20)
    store_key = Varchar(length=200)
    erp_id = Varchar(length=200)
    created_at = Timestamptz()


class ErpDeadLetter(Table, tablename="erp_sync_dead_letters"):
    kind = Varchar(length=20)
    ref = Varchar(length=200)
    error = Text(default="")
    tries = Integer(default=1)
    resolved = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()
