"""Offline evaluation: hold out the last orders, train on the rest, and
measure how often the lists name what those orders bought together.

For each held-out order with two or more products, each of its products in
turn is the query and the others are the targets: a hit when any target is
in the query's top ``k`` "customers also bought". The baseline answers every
query with the shop's best sellers (of the training orders) less the query.
Coverage is the share of the catalog that appears in some product's top ``k``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from shopwright_recommendations import data
from shopwright_recommendations.items import CatalogItem
from shopwright_recommendations.training import KEEP


@dataclass(frozen=True)
class Evaluation:
    orders_trained: int
    orders_held_out: int
    queries: int
    hit_rate: float
    coverage: float
    baseline_hit_rate: float
    baseline_coverage: float

    def lines(self, k: int) -> list[str]:
        return [f"orders: {self.orders_trained} trained, {self.orders_held_out} held out; {self.queries} queries",
                f"model        hit-rate@{k} {self.hit_rate:.3f}  coverage {self.coverage:.3f}",
                f"best sellers hit-rate@{k} {self.baseline_hit_rate:.3f}  coverage {self.baseline_coverage:.3f}"]


def evaluate_baskets(baskets: Sequence[Sequence[int]], items: Sequence[CatalogItem], *, holdout: float,
                     k: int, co_weight: float, min_orders: int) -> Evaluation:
    from shopwright_recommendations import models   # scipy and scikit-learn: only when evaluating

    cut = len(baskets) - max(1, int(len(baskets) * holdout)) if baskets else 0
    training, held_out = list(baskets[:cut]), list(baskets[cut:])
    lists = models.train(training, items, keep=max(k, KEEP), co_weight=co_weight, min_orders=min_orders)
    popular = lists.best_sellers.get("", [])
    queries = hits = baseline_hits = 0
    for basket in held_out:
        products = list(dict.fromkeys(basket))
        if len(products) < 2:
            continue
        for query in products:
            targets = set(products) - {query}
            queries += 1
            hits += bool(targets & set(lists.also_bought.get(query, [])[:k]))
            baseline_hits += bool(targets & set([p for p in popular if p != query][:k]))
    catalog = max(len(items), 1)
    covered = {p for ranked in lists.also_bought.values() for p in ranked[:k]}
    baseline = {p for item in items for p in [q for q in popular if q != item.id][:k]}
    return Evaluation(len(training), len(held_out), queries, hits / max(queries, 1), len(covered) / catalog,
                      baseline_hits / max(queries, 1), len(baseline) / catalog)


async def evaluate(runtime: Any, settings: Any, *, holdout: float, k: int) -> Evaluation:
    return evaluate_baskets(await data.baskets(runtime), await data.catalog_items(runtime), holdout=holdout, k=k,
                            co_weight=float(Decimal(settings.co_purchase_weight) / 100),
                            min_orders=settings.min_orders)
