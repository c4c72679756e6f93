"""Built-in promotions and vouchers (used by the ``core_promotions`` default plugin
and by the checkout, which counts voucher use inside the order transaction).

Which promotions apply to a cart:

- automatic promotions (no code) and vouchers whose code the shopper entered
  (codes compare case-insensitively);
- ``active``, inside ``starts_at``/``ends_at`` (either may be open), total
  uses below ``usage_limit``, in the cart's currency, goods subtotal (before
  discounts) at least ``min_subtotal``; at checkout also the customer's own
  uses below ``per_customer_limit``;
- at least one matching line (``scope``/``targets``).

Stacking rule (deterministic): promotions are evaluated in ``(priority, id)``
order, each on the full prices. Non-exclusive promotions all combine. An
exclusive promotion never combines with another: the shopper gets either the
best single exclusive promotion or every non-exclusive one together, whichever
saves more (ties go to the combination, then to the earlier promotion).

Amounts: percentages use exact decimals rounded half-even per line (see
:mod:`engine.money`); a fixed amount off a product/category/collection is
taken off each matching unit, never more than the unit's price; a fixed
amount off the order is one order-level adjustment. Discounts never take a
line, the goods or the shipping below zero (the pipeline caps them).
"""
from __future__ import annotations

import contextlib
import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Iterator, Mapping, Sequence

from engine.db.sql import fetch, placeholders
from engine.money import Money
from engine.pricing.pipeline import SHIPPING
from engine.protocols import Adjustment, PriceableLine

SOURCE = "core_promotions"


class VoucherError(ValueError):
    """A voucher code cannot be used; ``str(exc)`` says why, for the shopper."""


@dataclass(frozen=True)
class PromotionRule:
    """One promotion as the evaluator sees it (a row of ``promotions``)."""

    id: int
    name: str
    kind: str
    value: str = "0"
    scope: str = "order"
    targets: tuple[str, ...] = ()
    code: str | None = None
    buy_quantity: int = 0
    get_quantity: int = 0
    min_subtotal: int = 0
    currency: str = "EUR"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    per_customer_limit: int | None = None
    used_count: int = 0
    exclusive: bool = False
    priority: int = 100
    active: bool = True

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PromotionRule:
        targets = row.get("targets") or "[]"
        if isinstance(targets, str):
            targets = json.loads(targets)
        return cls(**{**{k: row[k] for k in cls.__dataclass_fields__ if k in row and k != "targets"},
                      "targets": tuple(str(t) for t in targets), "active": bool(row.get("active", True)),
                      "exclusive": bool(row.get("exclusive", False))})

    def percent(self) -> Decimal:
        try:
            value = Decimal(str(self.value))
        except InvalidOperation:
            return Decimal(0)
        return min(max(value, Decimal(0)), Decimal(100))

    def fixed(self) -> int:
        try:
            return max(int(Decimal(str(self.value))), 0)
        except (InvalidOperation, ValueError):
            return 0


@dataclass(frozen=True)
class LineFacts:
    """What scopes match against for one cart line."""

    product_slug: str | None = None
    category_slugs: frozenset[str] = frozenset()
    collection_slugs: frozenset[str] = frozenset()


@dataclass
class Evaluation:
    adjustments: list[Adjustment] = field(default_factory=list)
    #: voucher code -> why it did not apply
    rejected: dict[str, str] = field(default_factory=dict)
    applied: list[PromotionRule] = field(default_factory=list)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def why_not(rule: PromotionRule, currency: str, subtotal: int, now: datetime,
            customer_uses: int | None = None) -> str | None:
    """Why ``rule`` cannot apply now (None: it can, scope aside)."""
    if not rule.active:
        return "is not active"
    if _aware(rule.starts_at) and now < _aware(rule.starts_at):
        return "is not valid yet"
    if _aware(rule.ends_at) and now >= _aware(rule.ends_at):
        return "has expired"
    if rule.usage_limit is not None and rule.used_count >= rule.usage_limit:
        return "has been used up"
    if customer_uses is not None and rule.per_customer_limit is not None and customer_uses >= rule.per_customer_limit:
        return "was already used the allowed number of times by this customer"
    if rule.currency != currency:
        return f"is for {rule.currency} carts"
    if subtotal < rule.min_subtotal:
        return f"needs a subtotal of at least {Money(rule.min_subtotal, currency).as_decimal()} {currency}"
    return None


def _matches(rule: PromotionRule, facts: LineFacts) -> bool:
    if rule.scope == "order":
        return True
    targets = set(rule.targets)
    if rule.scope == "product":
        return facts.product_slug in targets
    if rule.scope == "category":
        return bool(targets & facts.category_slugs)
    if rule.scope == "collection":
        return bool(targets & facts.collection_slugs)
    return False


def _apply_one(rule: PromotionRule, lines: Sequence[PriceableLine], facts: Sequence[LineFacts],
               currency: str, shipping: Money | None) -> list[Adjustment]:
    label = rule.name if not rule.code else f"{rule.name} ({rule.code})"
    matching = [(line, f) for line, f in zip(lines, facts) if _matches(rule, f)]
    if not matching:
        return []

    def adj(amount: int, sku: str | None) -> Adjustment:
        return Adjustment(label=label, amount=Money(-amount, currency), source=SOURCE, code=rule.code, sku=sku)

    if rule.kind == "free_shipping":
        if shipping is None or shipping.amount <= 0:
            return []
        return [adj(shipping.amount, SHIPPING)]
    if rule.kind == "percentage":
        rate = rule.percent() / 100
        if rule.scope == "order":
            goods = sum((line.unit_price.times(line.quantity) for line in lines), Money.zero(currency))
            amount = goods.apply_rate(rate).amount
            return [adj(amount, None)] if amount else []
        out = []
        for line, _ in matching:
            amount = line.unit_price.times(line.quantity).apply_rate(rate).amount
            if amount:
                out.append(adj(amount, line.sku))
        return out
    if rule.kind == "fixed":
        if rule.scope == "order":
            goods = sum(line.unit_price.times(line.quantity).amount for line in lines)
            amount = min(rule.fixed(), goods)
            return [adj(amount, None)] if amount else []
        out = []
        for line, _ in matching:
            amount = min(rule.fixed(), line.unit_price.amount) * line.quantity
            if amount:
                out.append(adj(amount, line.sku))
        return out
    if rule.kind == "buy_x_get_y":
        if rule.buy_quantity < 1 or rule.get_quantity < 1:
            return []
        units = sorted(((line.unit_price.amount, index, line.sku) for index, (line, _) in enumerate(matching)
                        for _ in range(line.quantity)), key=lambda u: (-u[0], u[1]))
        group = rule.buy_quantity + rule.get_quantity
        rate = (rule.percent() if Decimal(str(rule.value or 0)) > 0 else Decimal(100)) / 100
        free: dict[str, int] = {}
        for start in range(0, len(units) - group + 1, group):
            for price, _, sku in units[start + rule.buy_quantity:start + group]:
                free[sku] = free.get(sku, 0) + price
        out = []
        for line, _ in matching:
            if line.sku in free:
                amount = Money(free[line.sku], currency).apply_rate(rate).amount
                if amount:
                    out.append(adj(amount, line.sku))
        return out
    return []


def evaluate(rules: Iterable[PromotionRule], lines: Sequence[PriceableLine], facts: Sequence[LineFacts],
             currency: str, shipping: Money | None = None, vouchers: Iterable[str] = (),
             now: datetime | None = None, customer_uses: Mapping[int, int] | None = None) -> Evaluation:
    """Adjustments of the promotions that apply (pure: no database access).

    ``customer_uses`` (promotion id → this customer's uses) is given at
    checkout, when the customer is known; without it per-customer limits are
    not checked."""
    now = now or datetime.now(timezone.utc)
    wanted = {code.strip().upper() for code in vouchers if code and code.strip()}
    subtotal = sum(line.unit_price.times(line.quantity).amount for line in lines)
    result = Evaluation()
    found_codes: set[str] = set()
    candidates: list[tuple[PromotionRule, list[Adjustment]]] = []
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        code = rule.code.upper() if rule.code else None
        if code is not None:
            if code not in wanted:
                continue
            found_codes.add(code)
        uses = None if customer_uses is None else customer_uses.get(rule.id, 0)
        reason = why_not(rule, currency, subtotal, now, uses)
        if reason is None:
            made = _apply_one(rule, lines, facts, currency, shipping)
            if made:
                candidates.append((rule, made))
                continue
            reason = "does not apply to anything in the cart"
        if code is not None:
            result.rejected[rule.code] = f"Voucher {rule.code} {reason}."
    for code in sorted(wanted - found_codes):
        result.rejected[code] = f"Voucher {code} does not exist."

    def saving(items: list[tuple[PromotionRule, list[Adjustment]]]) -> int:
        return -sum(a.amount.amount for _, made in items for a in made)

    stackable = [c for c in candidates if not c[0].exclusive]
    exclusive = [c for c in candidates if c[0].exclusive]
    chosen = stackable
    for candidate in exclusive:
        if saving([candidate]) > saving(chosen):
            chosen = [candidate]
    for rule, made in candidates:
        if (rule, made) not in chosen and rule.code:
            result.rejected[rule.code] = f"Voucher {rule.code} cannot be combined with the other promotions in this cart."
    for rule, made in chosen:
        result.applied.append(rule)
        result.adjustments.extend(made)
    return result


# ---------------------------------------------------------------- database
_rules_read: ContextVar[dict[tuple[str, ...], list[PromotionRule]] | None] = ContextVar(
    "shopwright_promotion_rules", default=None)


@contextlib.contextmanager
def rules_read_once() -> Iterator[None]:
    """Within the block (in this task), :func:`load_rules` reads each set of
    codes once: a checkout prices its cart more than once and counts the
    usage, all with the same rules. Usage limits are still enforced by the
    atomic updates of :func:`record_usage`."""
    token = _rules_read.set({})
    try:
        yield
    finally:
        _rules_read.reset(token)


async def load_rules(codes: Iterable[str] = ()) -> list[PromotionRule]:
    """Automatic promotions and the vouchers with one of ``codes``."""
    codes = sorted({c.strip().upper() for c in codes if c and c.strip()})
    memo = _rules_read.get()
    if memo is not None and tuple(codes) in memo:
        return memo[tuple(codes)]
    sql = "SELECT * FROM promotions WHERE active = {} AND (code IS NULL"
    args: list[Any] = [True]
    if codes:
        sql += f" OR UPPER(code) IN ({placeholders(codes)})"
        args += codes
    rows = await fetch(sql + ")", *args)
    rules = [PromotionRule.from_row(row) for row in rows]
    if memo is not None:
        memo[tuple(codes)] = rules
    return rules


def next_change(rules: Iterable[PromotionRule], now: datetime) -> datetime | None:
    """The first moment after ``now`` at which one of ``rules`` starts or ends
    (what the promotions give can change by time alone then); None if never."""
    moments = [moment for rule in rules for moment in (_aware(rule.starts_at), _aware(rule.ends_at))
               if moment is not None and moment > now]
    return min(moments, default=None)


async def reuse_until(vouchers: Iterable[str] = (), now: datetime | None = None) -> datetime | None:
    """:func:`next_change` after ``now`` (default: now) of the automatic
    promotions and the vouchers ``vouchers`` (reads the rules, memoised like
    the pricing's own read)."""
    return next_change(await load_rules(vouchers), now or datetime.now(timezone.utc))


async def line_facts(lines: Sequence[PriceableLine]) -> list[LineFacts]:
    """Product slug, category slugs (with every ancestor, so a promotion on a
    parent category covers its children) and collection slugs per line."""
    product_ids = sorted({line.product_id for line in lines if line.product_id is not None})
    slugs: dict[int, str] = {}
    categories: dict[int, set[str]] = {}
    collections: dict[int, set[str]] = {}
    if product_ids:
        marks = placeholders(product_ids)
        for row in await fetch(f"SELECT id, slug FROM catalog_products WHERE id IN ({marks})", *product_ids):
            slugs[row["id"]] = row["slug"]
        tree = {row["id"]: row for row in await fetch("SELECT id, parent, slug FROM catalog_categories")}
        for row in await fetch(f"SELECT product, category FROM catalog_product_categories WHERE product IN ({marks})",
                               *product_ids):
            node, seen = tree.get(row["category"]), set()
            while node is not None and node["id"] not in seen:
                seen.add(node["id"])
                categories.setdefault(row["product"], set()).add(node["slug"])
                node = tree.get(node["parent"])
        for row in await fetch(
                f"SELECT cp.product, c.slug FROM catalog_collection_products cp JOIN catalog_collections c "
                f"ON c.id = cp.collection WHERE cp.product IN ({marks})", *product_ids):
            collections.setdefault(row["product"], set()).add(row["slug"])
    return [LineFacts(slugs.get(line.product_id), frozenset(categories.get(line.product_id, ())),
                      frozenset(collections.get(line.product_id, ()))) for line in lines]


def customer_key(customer: int | None, email: str | None) -> str | None:
    if customer is not None:
        return f"customer:{customer}"
    if email:
        return f"email:{email.strip().lower()}"
    return None


async def customer_uses(key: str | None, promotion_ids: Sequence[int]) -> dict[int, int]:
    if key is None or not promotion_ids:
        return {}
    rows = await fetch(
        f"SELECT promotion, COUNT(*) AS n FROM voucher_usages WHERE customer_key = {{}} "
        f"AND promotion IN ({placeholders(promotion_ids)}) GROUP BY promotion", key, *promotion_ids)
    return {row["promotion"]: int(row["n"]) for row in rows}


async def adjustments_for(lines: Sequence[PriceableLine], context: Mapping[str, Any]) -> Evaluation:
    """The core promotions for a pricing ``context`` (reads the database)."""
    if not lines:
        return Evaluation()
    rules = await load_rules(context.get("vouchers") or ())
    facts = await line_facts(lines) if rules else [LineFacts() for _ in lines]
    key = customer_key(context.get("customer"), context.get("email"))
    uses = await customer_uses(key, [r.id for r in rules]) if key and rules else None
    return evaluate(rules, lines, facts, context["currency"], context.get("shipping"),
                    context.get("vouchers") or (), customer_uses=uses)


async def record_usage(adjustments: Sequence[Adjustment], order_id: int, customer: int | None,
                       email: str) -> list[str]:
    """Count one use of every promotion behind ``adjustments`` made by the core
    promotions; call inside the order transaction. Raises :class:`VoucherError`
    when a limit was reached meanwhile (the transaction must roll back).

    The total limit is a conditional ``UPDATE ... WHERE used_count <
    usage_limit``; the per-customer limit relies on the unique (promotion,
    customer_key, sequence) index, so concurrent orders cannot overshoot either.
    """
    names = {(a.code or "").upper() for a in adjustments if a.source == SOURCE and a.code}
    labels = {a.label for a in adjustments if a.source == SOURCE}
    rules = [r for r in await load_rules(names) if (r.code and r.code.upper() in names)
             or (not r.code and r.name in labels)]
    key = customer_key(customer, email)
    used = []
    now = datetime.now(timezone.utc)
    for rule in rules:
        row = await fetch(
            "UPDATE promotions SET used_count = used_count + 1 WHERE id = {} "
            "AND (usage_limit IS NULL OR used_count < usage_limit) RETURNING used_count", rule.id)
        if not row:
            raise VoucherError(f"Voucher {rule.code or rule.name} has been used up.")
        sequence = (await customer_uses(key, [rule.id])).get(rule.id, 0) + 1
        if rule.per_customer_limit is not None and sequence > rule.per_customer_limit:
            raise VoucherError(f"Voucher {rule.code or rule.name} was already used the allowed number of times "
                               f"by this customer.")
        await fetch("INSERT INTO voucher_usages (promotion, customer_key, sequence, order_id, created_at) "
                    "VALUES ({}, {}, {}, {}, {})", rule.id, key or f"order:{order_id}", sequence, order_id, now)
        used.append(rule.code or rule.name)
    return used
