"""The catalog of the scale benchmark (``bench/scale.py``): any number of
products, streamed to a CSV import file (never held in memory).

20 categories (4 roots × 4 leaves), 4 variants per product (sizes of
:data:`catalog_data.SIZES`, one colour of :data:`catalog_data.COLOURS`),
attributes material (choice), organic (boolean) and fit (choice), and titles
and descriptions drawn from a vocabulary of :data:`WORD_COUNT` made-up words
besides :mod:`catalog_data`'s adjectives and nouns, so a search word matches
a few hundred to a few thousand products rather than a fixed share.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Iterator

import catalog_data
from catalog_data import ADJECTIVES, COLOURS, MATERIALS, NOUNS, SIZES

ROOTS = ["women", "men", "kids", "home"]
LEAVES = ["tops", "bottoms", "outerwear", "accessories"]
FITS = ["slim", "regular", "relaxed", "oversized"]
WORD_COUNT = 600
HEADER = ["product_slug", "title", "description", "status", "categories", "attribute:material",
          "attribute:organic", "attribute:fit", "image_urls", "image_alts", "sku", "option:size", "option:colour",
          "price", "currency", "weight_grams", "stock"]


def category_slugs() -> list[tuple[str, str | None]]:
    """(slug, parent slug) pairs, parents first: 4 roots and their 16 leaves."""
    pairs: list[tuple[str, str | None]] = [(root, None) for root in ROOTS]
    pairs += [(f"{root}-{leaf}", root) for root in ROOTS for leaf in LEAVES]
    return pairs


def vocabulary(count: int = WORD_COUNT, seed: int = 11) -> list[str]:
    """``count`` distinct pronounceable made-up words (the search terms)."""
    rng = random.Random(seed)
    onsets, vowels, codas = "bdfgklmnprstvz", "aeiou", ["", "n", "r", "l", "s", "th", "ck"]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < count:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 3))) + rng.choice(codas)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


async def prepare_catalog(runtime) -> None:
    """The categories and attribute definitions the generated file refers to."""
    await catalog_data.prepare_catalog(runtime, category_slugs(), FITS)


def rows(products: int, seed: int = 7) -> Iterator[list[str]]:
    """The CSV rows (without the header) of ``products`` products."""
    rng = random.Random(seed)
    words = vocabulary()
    leaves = [slug for slug, parent in category_slugs() if parent]
    for index in range(products):
        adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
        # a skewed pick: some words are common, most are rare, as in real titles
        extra = [words[min(int(rng.expovariate(1 / 120)), len(words) - 1)] for _ in range(3)]
        colour = rng.choice(COLOURS)
        slug = f"{adjective}-{noun}-{index}"
        title = f"{extra[0].title()} {adjective} {noun} {index}"
        description = (f"A {adjective} {noun} in {colour.lower()}: {extra[1]} and {extra[2]} made to last. "
                       f"Item {index}.")
        base = rng.randrange(900, 25_000, 100)
        category, material = rng.choice(leaves), rng.choice(MATERIALS)
        organic, fit = "true" if rng.random() < 0.3 else "false", rng.choice(FITS)
        image, alt = f"/media/placeholder/{slug}.svg", f"{title} in {colour.lower()}"
        for position, size in enumerate(SIZES):
            yield [slug, title, description, "published", category, material, organic, fit, image, alt,
                   f"{slug.upper()}-{size}", size, colour, f"{(base + position * 200) / 100:.2f}", "EUR",
                   str(200 + position * 20), str(rng.randrange(0, 40))]


def write_file(path: Path, products: int) -> int:
    """Write the import file of ``products`` products; the number of rows."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in rows(products):
            writer.writerow(row)
            count += 1
    return count
