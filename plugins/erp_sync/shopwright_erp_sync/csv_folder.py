"""The CSV drop-folder connector: the ERP and the store exchange CSV files
(UTF-8, header row, comma-separated) in one folder (``url``: a path or a
``file://`` URL), for ERPs without an API or with a nightly export.

In (the ERP writes ``products.csv`` in the folder, replacing it atomically,
e.g. by writing ``products.csv.tmp`` and renaming it), one row per variant::

    ref,product_slug,title,description,sku,price,options,on_hand,updated_at[,active]

- ``ref``: the ERP's id of the product (rows of one product share it);
  ``product_slug``, ``title``, ``description`` the product's fields (from the
  product's first row); ``sku`` the variant's; ``price`` a decimal in major
  units of the store's currency (``12.50``; converted exactly, never through
  a float); ``options`` ``name=value`` pairs separated by ``|``
  (``size=M|colour=red``); ``on_hand`` a whole number or empty (stock left
  alone); ``updated_at`` when the row last changed, ISO 8601 in UTC
  (``2026-12-06T17:00:00Z``): text that sorts by time; ``active`` (optional
  column, from the product's first row) ``false``/``0``/``no`` when the ERP
  archived the product, anything else or empty: on sale.
- Incremental: a pull returns the products with a row whose ``updated_at``
  is later than the cursor (all rows of such a product); the new cursor is
  the latest ``updated_at`` returned, with the rows stamped with it (so a
  row written in the same second after a pull is still taken next time).
- A product with a row that cannot be read (no SKU, a bad price or
  quantity) is a fault: dead-lettered with the line number, the rest import.
- Unavailable (retry later): the folder is missing or unreadable, or a
  ``products.csv.lock`` file is present (the ERP is writing).

Out (the store writes, atomically: a ``.tmp`` file renamed into place):

- ``orders/<number>.csv``: one file per paid order, one row per line, with
  ``order,placed_at,email,first_name,last_name,company,line1,line2,city,
  region,postal_code,country,phone,currency,sku,title,quantity,unit_price,
  line_total,shipping,tax,order_total`` (amounts decimal major units). An
  order whose file exists is not written again: its file name is the ERP id.
- ``orders/<number>.cancelled.csv`` (``order,reason``) when a pushed order is
  cancelled, ``orders/<number>.refund-<key>.csv`` (``order,amount,currency``)
  for each refund of a pushed order (``key``: the store's event id).
- ``stock/<sku>.csv`` (the SKU percent-encoded): ``sku,on_hand,origin`` for a stock change made in
  the store (the latest replaces the previous one).
"""
from __future__ import annotations

import csv
import io
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

from engine.money import currency_exponent

from shopwright_erp_sync.connector import (
    ErpFault,
    ErpFaultRecord,
    ErpProduct,
    ErpUnavailable,
    ErpVariant,
    PullResult,
    to_minor,
)

PRODUCT_HEADER = ["ref", "product_slug", "title", "description", "sku", "price", "options", "on_hand", "updated_at"]
ORDER_HEADER = ["order", "placed_at", "email", "first_name", "last_name", "company", "line1", "line2", "city",
                "region", "postal_code", "country", "phone", "currency", "sku", "title", "quantity", "unit_price",
                "line_total", "shipping", "tax", "order_total"]


def folder_of(url: str) -> Path:
    """The folder named by the ``url`` setting (a path, or a ``file://`` URL)."""
    if url.startswith("file://"):
        return Path(unquote(urlparse(url).path))
    return Path(url)


def _major(amount: int, currency: str) -> str:
    return str(Decimal(amount).scaleb(-currency_exponent(currency)))


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class CsvFolderConnector:
    """See the module docstring. ``currency`` is the store's."""

    name = "csv"

    def __init__(self, url: str, currency: str) -> None:
        self.folder = folder_of(url)
        self.currency = currency

    async def aclose(self) -> None:
        return None

    def _check_folder(self) -> None:
        if not self.folder.is_dir() or not os.access(self.folder, os.R_OK | os.W_OK | os.X_OK):
            raise ErpUnavailable(f"exchange folder {self.folder} is missing or not readable and writable")
        if (self.folder / "products.csv.lock").exists():
            raise ErpUnavailable(f"the ERP is writing {self.folder / 'products.csv'} (lock file present)")

    async def status(self) -> dict[str, Any]:
        try:
            self._check_folder()
        except ErpUnavailable as exc:
            return {"ok": False, "detail": str(exc)}
        source = self.folder / "products.csv"
        return {"ok": True, "detail": f"folder {self.folder}" + ("" if source.exists() else " (no products.csv yet)")}

    # ------------------------------------------------------------ pull
    def _rows(self) -> list[tuple[int, dict[str, str]]]:
        self._check_folder()
        source = self.folder / "products.csv"
        if not source.exists():
            return []
        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ErpUnavailable(f"cannot read {source}: {exc}") from exc
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [name for name in ("ref", "sku", "price") if name not in (reader.fieldnames or [])]
        if missing:
            raise ErpFault(f"{source}: header lacks {', '.join(missing)}")
        return [(reader.line_num, row) for row in reader]

    def _products(self, rows: list[tuple[int, dict[str, str]]], wanted: set[str]) -> PullResult:
        grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for line, row in rows:
            if row.get("ref") in wanted:
                grouped.setdefault(row["ref"], []).append((line, row))
        result = PullResult()
        for ref, items in grouped.items():
            try:
                result.products.append(self._product(ref, items))
            except ValueError as exc:
                result.faults.append(ErpFaultRecord(f"csv:{ref}", str(exc)))
        return result

    def _product(self, ref: str, items: list[tuple[int, dict[str, str]]]) -> ErpProduct:
        first = items[0][1]
        variants = []
        for line, row in items:
            try:
                sku = (row.get("sku") or "").strip()
                if not sku:
                    raise ValueError("no sku")
                on_hand_text = (row.get("on_hand") or "").strip()
                on_hand = None if not on_hand_text else int(on_hand_text)
                if on_hand is not None and on_hand < 0:
                    raise ValueError(f"on_hand {on_hand} is negative")
                options = {}
                for pair in filter(None, (row.get("options") or "").split("|")):
                    name, sep, value = pair.partition("=")
                    if not sep:
                        raise ValueError(f"option {pair!r} is not name=value")
                    options[name.strip()] = value.strip()
                variants.append(ErpVariant(ref=f"csv:{ref}:{sku}", sku=sku,
                                           price=to_minor(row.get("price") or "", self.currency),
                                           options=options, on_hand=on_hand))
            except ValueError as exc:
                raise ValueError(f"products.csv line {line}: {exc}") from None
        slug = (first.get("product_slug") or "").strip() or f"erp-{ref}".lower()
        active = (first.get("active") or "").strip().lower() not in ("false", "0", "no")
        return ErpProduct(ref=f"csv:{ref}", slug=slug, title=(first.get("title") or "").strip() or slug,
                          description=first.get("description") or "", variants=tuple(variants), active=active)

    async def pull(self, cursor: str | None) -> PullResult:
        """The products with a row changed since ``cursor``. As ``updated_at``
        may have whole seconds, the cursor is ``{"at", "seen"}`` (JSON): the
        latest ``updated_at`` returned and the rows (``ref:sku``) stamped with
        it; rows at ``at`` not seen yet are taken on the next pull."""
        rows = self._rows()
        at, already = None, set()
        if cursor:
            value = json.loads(cursor) if cursor.startswith("{") else {"at": cursor, "seen": []}
            at, already = value["at"], set(value["seen"])

        def is_new(row: dict[str, str]) -> bool:
            stamp = row.get("updated_at") or ""
            return at is None or stamp > at or (stamp == at and f"{row['ref']}:{row.get('sku')}" not in already)

        changed = {row["ref"] for _, row in rows if is_new(row)}
        result = self._products(rows, changed)
        stamps = [row.get("updated_at") or "" for _, row in rows if is_new(row)]
        if stamps:
            newest = max(stamps)
            seen = {f"{row['ref']}:{row.get('sku')}" for _, row in rows if (row.get("updated_at") or "") == newest}
            result.cursor = json.dumps({"at": newest, "seen": sorted(seen | (already if newest == at else set()))})
        return result

    async def pull_refs(self, refs: list[str]) -> PullResult:
        return self._products(self._rows(), {ref.removeprefix("csv:") for ref in refs})

    # ------------------------------------------------------------ push
    def _out(self, kind: str) -> Path:
        self._check_folder()
        folder = self.folder / kind
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise ErpUnavailable(f"cannot create {folder}: {exc}") from exc
        return folder

    async def push_order(self, order: Any) -> str:
        target = self._out("orders") / f"{order.number}.csv"
        if target.exists():
            return target.name
        address = dict(order.billing_address or order.shipping_address or {})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(ORDER_HEADER)
        money = order.currency
        for line in order.lines:
            writer.writerow([
                order.number, order.placed_at.isoformat() if order.placed_at else "", order.email,
                *(address.get(name) or "" for name in ("first_name", "last_name", "company", "line1", "line2",
                                                       "city", "region", "postal_code", "country", "phone")),
                money, line.sku, line.title, line.quantity, _major(line.unit_price.amount, money),
                _major(line.total.amount, money), _major(order.shipping_total.amount, money),
                _major(order.tax_total.amount, money), _major(order.total.amount, money),
            ])
        _write_atomically(target, buffer.getvalue())
        return target.name

    async def cancel_order(self, erp_id: str, number: str, reason: str) -> None:
        target = self._out("orders") / f"{number}.cancelled.csv"
        if not target.exists():
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows([["order", "reason"], [number, reason]])
            _write_atomically(target, buffer.getvalue())

    async def note_refund(self, erp_id: str, number: str, amount: int, currency: str, key: str) -> None:
        target = self._out("orders") / f"{number}.refund-{quote(key, safe='')}.csv"
        if not target.exists():
            _write_atomically(target, f"order,amount,currency\n{number},{_major(amount, currency)},{currency}\n")

    async def push_stock(self, sku: str, on_hand: int) -> None:
        _write_atomically(self._out("stock") / f"{quote(sku, safe='')}.csv", f"sku,on_hand,origin\n{sku},{on_hand},store\n")
