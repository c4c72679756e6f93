"""The plugin's own tables: the trained lists, per product and per category.

Written only by :mod:`shopwright_recommendations.training` (a whole
replacement in one transaction); read by :mod:`shopwright_recommendations.serving`.
Lists are JSON arrays of product ids, best first.
"""
from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class ProductRecommendations(Table, tablename="recommendations_products"):
    product_id = Integer(unique=True, index=True)
    also_bought = Text(default="[]")
    similar = Text(default="[]")
    trained_at = Timestamptz()


class CategoryBestSellers(Table, tablename="recommendations_best_sellers"):
    #: a category slug; "" is the whole shop
    category = Varchar(length=200, unique=True, index=True)
    products = Text(default="[]")
    trained_at = Timestamptz()
