"""The models, as pure functions over plain data (no database): co-purchase
(item-item cosine over a sparse order × product matrix, scipy), content
similarity (TF-IDF over titles, descriptions and attribute values,
scikit-learn), their blend, and best sellers per category.

Only the training job and the offline evaluation call these; the request path
reads what training stored. :data:`COMPUTATIONS` counts every model
computation in this process, so a test can show that serving makes none.
Scores are floats: they only rank, they are never money or stored. Importing
this module loads scipy and scikit-learn (about a second), so the plugin
imports it only when it trains: the ``shopwright`` command imports every
plugin to list its commands.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from shopwright_recommendations.items import CatalogItem

#: model computations made in this process (co-purchase, content, blend, best sellers)
COMPUTATIONS = 0


def _counted() -> None:
    global COMPUTATIONS
    COMPUTATIONS += 1


def co_purchase(baskets: Sequence[Iterable[int]], ids: Sequence[int]) -> np.ndarray:
    """Item-item cosine similarity of co-purchases: ``result[i, j]`` is how
    often products ``ids[i]`` and ``ids[j]`` were bought in the same order,
    over the square root of their order counts (0 on the diagonal). Products
    not in ``ids`` are ignored."""
    _counted()
    index = {product: position for position, product in enumerate(ids)}
    rows, cols = [], []
    for row, basket in enumerate(baskets):
        for product in set(basket):
            if product in index:
                rows.append(row)
                cols.append(index[product])
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(baskets), len(ids)))
    together = (matrix.T @ matrix).toarray()
    counts = np.sqrt(np.diag(together))
    counts[counts == 0] = 1.0
    similarity = together / counts[:, None] / counts[None, :]
    np.fill_diagonal(similarity, 0.0)
    return similarity


def content_similarity(items: Sequence[CatalogItem]) -> np.ndarray:
    """TF-IDF cosine similarity of the products' texts (0 on the diagonal)."""
    _counted()
    if not items:
        return np.zeros((0, 0))
    texts = [item.text or " " for item in items]
    try:
        matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    except ValueError:  # an empty vocabulary: nothing is similar
        return np.zeros((len(items), len(items)))
    similarity = (matrix @ matrix.T).toarray()   # rows are L2-normalised: the cosine
    np.fill_diagonal(similarity, 0.0)
    return similarity


def best_sellers(baskets: Sequence[Iterable[int]], items: Sequence[CatalogItem]) -> dict[str, list[int]]:
    """Product ids by units sold, per category slug and over the shop (``""``);
    products never sold follow, newest (highest id) first."""
    _counted()
    sold = Counter(product for basket in baskets for product in basket)
    order = sorted(items, key=lambda item: (-sold[item.id], -item.id))
    ranked: dict[str, list[int]] = {"": [item.id for item in order]}
    for item in order:
        for category in item.categories:
            ranked.setdefault(category, []).append(item.id)
    return ranked


def _top(scores: np.ndarray, ids: Sequence[int], count: int, minimum: float = 1e-9) -> list[int]:
    ranked = np.argsort(-scores, kind="stable")
    return [ids[j] for j in ranked[:count] if scores[j] > minimum]


def fallback(product: CatalogItem, sellers: Mapping[str, list[int]], taken: Sequence[int], count: int) -> list[int]:
    """``taken`` filled up to ``count`` with best sellers of the product's
    categories, then of the shop, never the product itself or a repeat."""
    result = list(taken)
    for category in (*product.categories, ""):
        for candidate in sellers.get(category, ()):
            if len(result) >= count:
                return result
            if candidate != product.id and candidate not in result:
                result.append(candidate)
    return result


@dataclass(frozen=True)
class Lists:
    also_bought: dict[int, list[int]]
    similar: dict[int, list[int]]
    best_sellers: dict[str, list[int]]


def train(baskets: Sequence[Sequence[int]], items: Sequence[CatalogItem], *, keep: int, co_weight: float,
          min_orders: int) -> Lists:
    """Every product's lists, ``keep`` long (kept longer than shown, so the
    request can drop what is out of stock or in the cart):

    - ``also_bought``: products bought together with it, ranked by
      ``co_weight`` × co-purchase + (1 − ``co_weight``) × content similarity
      (only products bought together count), then best sellers of its
      categories; only best sellers while the shop has fewer than
      ``min_orders`` orders;
    - ``similar``: by content similarity, then best sellers of its categories.
    """
    _counted()
    ids = [item.id for item in items]
    sellers = best_sellers(baskets, items)
    content = content_similarity(items)
    enough = len(baskets) >= min_orders
    bought = co_purchase(baskets, ids) if enough and ids else np.zeros((len(ids), len(ids)))
    blend = co_weight * bought + (1.0 - co_weight) * content
    also_bought: dict[int, list[int]] = {}
    similar: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        together = np.where(bought[i] > 0, blend[i], 0.0)
        also_bought[item.id] = fallback(item, sellers, _top(together, ids, keep), keep)
        similar[item.id] = fallback(item, sellers, _top(content[i], ids, keep), keep)
    return Lists(also_bought, similar, {category: ranked[:keep] for category, ranked in sellers.items()})
