"""The fixture plugin's own tables."""
from __future__ import annotations

from piccolo.columns import Integer, Varchar
from piccolo.table import Table


class FixturePoints(Table, tablename="sdk_fixture_points"):
    """Points written with an order, inside the order's transaction."""

    order_number = Varchar(length=32, unique=True)
    points = Integer(default=0)


class FixtureSeen(Table, tablename="sdk_fixture_seen"):
    """``stock_changed`` events the plugin handled (not its own)."""

    event_id = Integer(unique=True)
    sku = Varchar(length=100)
    origin = Varchar(length=64)
