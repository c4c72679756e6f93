"""Choosing a variant on the product page, with or without JavaScript.

The page shows the variant a query string names (``?size=M&colour=Red`` or
``?sku=``): :func:`choose` turns it into the selected variant and says for
each option value whether it can be bought together with the other chosen
values. The option radios belong to the add-to-cart form (fields
``option:<name>``), so "Add to cart" adds what the shopper chose even when
the page still shows another variant: :func:`variant_for_options` resolves
the posted choice. A small script (the default theme's
``js/variant-picker.js``) updates price, stock and SKU as options change, from
:func:`script_variants`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

#: Query parameters that are never option names.
RESERVED = {"sku", "quantity", "preview_theme", "q", "cursor", "sort"}
#: Form fields of the add-to-cart form that carry an option: ``option:<name>``.
OPTION_FIELD = "option:"


@dataclass
class Choice:
    variant: dict[str, Any] | None
    chosen: dict[str, str]
    #: option name → value → "in_stock" | "out_of_stock" | "unavailable"
    states: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the request named a combination that does not exist
    missing: bool = False
    #: every variant for the picker script (:func:`script_variants`)
    script: list[dict[str, Any]] = field(default_factory=list)


def _matches(variant: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    options = variant.get("options") or {}
    return all(str(options.get(name)) == value for name, value in wanted.items())


def choose(product: Mapping[str, Any], args: Mapping[str, str]) -> Choice:
    variants = list(product.get("variants") or [])
    options: dict[str, list] = dict(product.get("options") or {})
    selected = None
    sku = args.get("sku")
    if sku:
        selected = next((v for v in variants if v["sku"] == sku), None)
    wanted = {
        name: str(args[name]) for name in options
        if name not in RESERVED and args.get(name) not in (None, "") and str(args[name]) in map(str, options[name])
    }
    missing = False
    if selected is None and wanted:
        candidates = [v for v in variants if _matches(v, wanted)]
        selected = next((v for v in candidates if v.get("in_stock")), candidates[0] if candidates else None)
        missing = selected is None
    if selected is None and not missing:
        selected = next((v for v in variants if v.get("in_stock")), variants[0] if variants else None)
    chosen = {k: str(v) for k, v in (selected or {}).get("options", {}).items()} if selected else dict(wanted)
    states: dict[str, dict[str, str]] = {}
    for name, values in options.items():
        others = {k: v for k, v in chosen.items() if k != name}
        states[name] = {}
        for value in map(str, values):
            combos = [v for v in variants if _matches(v, {**others, name: value})]
            if not combos:
                states[name][value] = "unavailable"
            elif any(v.get("in_stock") for v in combos):
                states[name][value] = "in_stock"
            else:
                states[name][value] = "out_of_stock"
    return Choice(selected, chosen, states, missing)


def posted_options(form: Mapping[str, str]) -> dict[str, str]:
    """The ``option:<name>`` fields of a posted add-to-cart form, by option name."""
    return {key[len(OPTION_FIELD):]: str(value) for key, value in form.items()
            if key.startswith(OPTION_FIELD) and len(key) > len(OPTION_FIELD)}


def variant_for_options(product: Mapping[str, Any], wanted: Mapping[str, str]) -> dict[str, Any] | None:
    """The variant whose options are exactly ``wanted`` (every option of the
    product named, each with one of its values), else None."""
    names = set((product.get("options") or {}).keys())
    if set(wanted) != names:
        return None
    return next((v for v in product.get("variants") or [] if _matches(v, wanted)), None)


def describe(wanted: Mapping[str, str]) -> str:
    """``Oat / L``: a choice as a shopper reads it."""
    return " / ".join(str(value) for value in wanted.values())


def script_variants(product: Mapping[str, Any], format_money: Callable[[Any], str]) -> list[dict[str, Any]]:
    """What the picker script needs of each variant: sku, options, the price as
    displayed, and stock."""
    return [{"sku": v["sku"], "options": {k: str(x) for k, x in (v.get("options") or {}).items()},
             "price": format_money(v.get("price")), "in_stock": bool(v.get("in_stock")),
             "quantity_available": int(v.get("quantity_available") or 0)}
            for v in product.get("variants") or []]
