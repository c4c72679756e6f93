"""Choosing a variant on the product page without JavaScript.

The variant picker is a GET form: one radio group per option (``?size=M&colour=Red``)
or a ``?sku=`` link. :func:`choose` turns the query string into the selected
variant, and says for each option value whether it can be bought together with
the other chosen values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

#: Query parameters that are never option names.
RESERVED = {"sku", "quantity", "preview_theme", "q", "cursor", "sort"}


@dataclass
class Choice:
    variant: dict[str, Any] | None
    chosen: dict[str, str]
    #: option name → value → "in_stock" | "out_of_stock" | "unavailable"
    states: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the request named a combination that does not exist
    missing: bool = False


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
