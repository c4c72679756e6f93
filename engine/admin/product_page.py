"""One product in the admin: ``/admin/products/new`` and
``/admin/products/<id>`` (the product's numeric id), ``catalog:read`` to see,
``catalog:write`` for every form:

=================================  =============================================
``POST /admin/products/new``       create (:func:`engine.catalog.manage.create_product`)
``POST /admin/products/<id>``      save title, slug, description, status,
                                   categories, attributes and the variants (add,
                                   edit, delete: SKU, options, price, weight)
``POST .../<id>/images``           upload an image (:mod:`engine.catalog.images`)
                                   or remove one
``POST .../<id>/stock``            adjust stock with a reason
                                   (:func:`engine.catalog.stock_history.adjust_stock`)
``POST .../<id>/delete``           delete the product
=================================  =============================================

Prices are typed in major units of the store's currency and read exactly
(:mod:`engine.admin.amounts`); options as ``name: value, name: value``. A
form that cannot be read, or that the service refuses, comes back with the
messages at their fields and the values typed (422, 409 for a taken slug or
SKU); nothing is written then. Each change redirects (303) back and is
audited (``product.create``, ``product.update``, ``product.image``,
``product.stock``, ``product.delete``; target ``product=<id>``).
"""
from __future__ import annotations

import re
from typing import Any

from quart import Blueprint, current_app, g, redirect, request

from engine.accounts.permissions import actor_has
from engine.admin.access import staff_page
from engine.admin.amounts import AmountError, format_major, parse_amount
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.audit import actor_label
from engine.catalog import images, manage, services, stock_history
from engine.db.sql import fetch, reading
from engine.errors import InvalidInput, NotFound, ShopError
from engine.web.audit import record

blueprint = Blueprint("admin_product_page", __name__)

READ, WRITE = "catalog:read", "catalog:write"
MAX_VARIANTS = 100
_WEIGHT = re.compile(r"[0-9]{1,9}")
_QUANTITY = re.compile(r"[+-]?[0-9]{1,9}")
DONE = {"created": "Product created.", "saved": "Product saved.", "image": "Image added.",
        "image-removed": "Image removed.", "stock": "Stock adjusted."}


def options_text(options: dict[str, str]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in options.items())


def read_options(text: str, field: str, errors: dict[str, str]) -> dict[str, str]:
    """``size: M, colour: Red`` as a dict; an error at ``field`` when a part has no ``:``."""
    options: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, colon, value = part.partition(":")
        if not colon or not name.strip() or not value.strip():
            errors[field] = "Write options as name: value, separated by commas (size: M, colour: Red)."
            return {}
        options[name.strip()] = value.strip()
    return options


def _variant_rows(form: Any, currency: str, errors: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """``(variants to save, rows as typed)`` from the form's ``v-<n>-*`` fields;
    a row without a SKU is skipped (the empty "add" row), a ticked ``delete`` drops it."""
    variants, typed = [], []
    for index in range(MAX_VARIANTS):
        prefix = f"v-{index}-"
        if prefix + "sku" not in form:
            break
        row = {name: form.get(prefix + name, "")[:300] for name in ("sku", "options", "price", "weight", "delete")}
        row["existing"] = form.get(prefix + "existing", "") == "1"
        typed.append(row)
        if not row["sku"].strip() or row["delete"]:
            continue
        variant: dict[str, Any] = {"sku": row["sku"].strip(), "currency": currency,
                                   "options": read_options(row["options"], prefix + "options", errors)}
        try:
            variant["price_amount"] = parse_amount(row["price"], currency)
        except AmountError as exc:
            errors[prefix + "price"] = str(exc)
        weight = row["weight"].strip() or "0"
        if not _WEIGHT.fullmatch(weight):
            errors[prefix + "weight"] = "Enter the weight in whole grams."
        else:
            variant["weight_grams"] = int(weight)
        variants.append(variant)
    return variants, typed


async def _attribute_definitions() -> list[dict[str, Any]]:
    return await fetch("SELECT code, name, type, choices FROM catalog_attributes ORDER BY position, name")


def _typed_product(form: Any, definitions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "slug": form.get("slug", "").strip()[:200], "title": form.get("title", "")[:300],
        "description": form.get("description", "")[:100_000], "status": form.get("status", "draft")[:20],
        "categories": [c[:200] for c in form.getlist("categories")][:200],
        "attributes": {d["code"]: form.get("attr-" + d["code"], "")[:500] for d in definitions},
    }


def _service_errors(exc: ShopError) -> dict[str, str]:
    """The service's field errors under the form's field names (``variants.1.sku`` → ``v-1-sku``)."""
    errors = {}
    for key, message in (getattr(exc, "errors", None) or {"form": str(exc)}).items():
        match = re.match(r"variants\.(\d+)\.(sku|options|weight_grams|price_amount|price)", key)
        if match:
            name = {"weight_grams": "weight", "price_amount": "price"}.get(match.group(2), match.group(2))
            key = f"v-{match.group(1)}-{name}"
        errors[key] = str(message)
    return errors


async def _page(product_id: int | None, status: int = 200, typed: dict[str, Any] | None = None,
                variant_rows: list[dict] | None = None, errors: dict[str, str] | None = None,
                message: str = "", form: str = ""):
    currency = current_app.settings.store.currency
    async with reading():
        definitions = await _attribute_definitions()
        categories = await manage.list_categories()
        context: dict[str, Any] = {"definitions": definitions, "categories": categories, "errors": errors or {},
                                   "message": message, "failed_form": form, "currency": currency,
                                   "can_write": actor_has(g.actor, WRITE), "product_id": product_id,
                                   "warehouses": await services.list_warehouses()}
        if product_id is None:
            stored = {"slug": "", "title": "", "description": "", "status": "draft", "categories": [],
                      "attributes": {}, "images": [], "variants": []}
        else:
            stored = await manage.editable_product(await manage.product_slug(product_id))
            context["stock"] = {v["sku"]: await manage.variant_stock(v["sku"]) for v in stored["variants"]}
            context["history"] = await stock_history.stock_history(product_id)
    rows = variant_rows
    if rows is None:
        rows = [{"sku": v["sku"], "options": options_text(v["options"]),
                 "price": format_major(v["price_amount"], v["currency"]), "weight": str(v["weight_grams"]),
                 "delete": "", "existing": True} for v in stored["variants"]]
        rows += [{"sku": "", "options": "", "price": "", "weight": "", "delete": "", "existing": False}
                 for _ in range(2 if product_id is None else 1)]
    values = typed or {**stored, "attributes": {k: str(v).lower() if isinstance(v, bool) else str(v)
                                                for k, v in stored["attributes"].items()}}
    return await render_admin("admin/product.html", status=status, product=values, images=stored["images"],
                              variant_rows=rows, slug=stored["slug"], **context)


async def _slug(product_id: int) -> str:
    return await manage.product_slug(product_id)


def _actor_name() -> str:
    return actor_label(g.actor)[0]


@blueprint.get("/admin/products/new")
@staff_page(WRITE)
async def new_product():
    return await _page(None)


@blueprint.post("/admin/products/new")
@staff_page(WRITE)
@once_per_submission
async def create_product():
    return await _save(None)


@blueprint.get("/admin/products/<int:product_id>")
@staff_page(READ)
async def product_page(product_id: int):
    try:
        return await _page(product_id, message=DONE.get(request.args.get("done", ""), ""))
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc),
                                  link="/admin/products")


@blueprint.post("/admin/products/<int:product_id>")
@staff_page(WRITE)
async def save_product(product_id: int):
    try:
        await _slug(product_id)
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc))
    return await _save(product_id)


async def _save(product_id: int | None):
    form = await request.form
    currency = current_app.settings.store.currency
    definitions = await _attribute_definitions()
    typed = _typed_product(form, definitions)
    errors: dict[str, str] = {}
    variants, rows = _variant_rows(form, currency, errors)
    if errors:
        return await _page(product_id, 422, typed, rows, errors, form="product")
    data = {**typed, "variants": variants,
            "attributes": {code: value for code, value in typed["attributes"].items() if value.strip()}}
    runtime = current_app.runtime
    try:
        if product_id is None:
            saved = await manage.create_product(runtime, data)
            product_id = saved["id"]
            action, done = "product.create", "created"
        else:
            await manage.update_product(runtime, await _slug(product_id), data)  # a new slug renames it
            action, done = "product.update", "saved"
    except ShopError as exc:
        return await _page(product_id, exc.status, typed, rows, _service_errors(exc), form="product")
    await record(action, f"product={product_id}", {"slug": typed["slug"], "variants": [v["sku"] for v in variants]})
    return redirect(f"/admin/products/{product_id}?done={done}", 303)


@blueprint.post("/admin/products/<int:product_id>/images")
@staff_page(WRITE)
async def product_images(product_id: int):
    form = await request.form
    files = await request.files
    try:
        slug = await _slug(product_id)
        current = (await manage.editable_product(slug))["images"]
        removed = form.get("remove", "")
        if removed:
            kept = [image for image in current if image["url"] != removed]
            details: dict[str, Any] = {"removed": removed}
            done = "image-removed"
        else:
            upload = files.get("image")
            data = upload.read(current_app.settings.media.max_image_bytes + 1) if upload else b""
            alt = form.get("alt", "").strip()[:500]
            if not alt:
                raise InvalidInput("alt", {"alt": "Describe the image for people who cannot see it."})
            url = images.store_image(current_app.settings, data)
            kept = [*current, {"url": url, "alt": alt}]
            details = {"added": url}
            done = "image"
        await manage.update_product(current_app.runtime, slug, {"images": kept})
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc))
    except ShopError as exc:
        return await _page(product_id, exc.status, errors=_service_errors(exc), form="images")
    await record("product.image", f"product={product_id}", details)
    return redirect(f"/admin/products/{product_id}?done={done}", 303)


@blueprint.post("/admin/products/<int:product_id>/stock")
@staff_page(WRITE)
@once_per_submission
async def adjust_stock(product_id: int):
    form = await request.form
    sku, warehouse, mode = form.get("sku", "")[:100], form.get("warehouse", "")[:50], form.get("mode", "")[:10]
    quantity = form.get("quantity", "").strip()[:20]
    try:
        slug = await _slug(product_id)
        if sku not in {v["sku"] for v in (await manage.editable_product(slug))["variants"]}:
            raise InvalidInput("sku", {"sku": "Choose a variant of this product."})
        if not _QUANTITY.fullmatch(quantity):
            raise InvalidInput("quantity", {"quantity": "Enter a whole number (+5 to add, -2 to remove)."})
        if mode == "set" and quantity[0] in "+-":
            raise InvalidInput("quantity", {"quantity": "A counted quantity has no sign."})
        result = await stock_history.adjust_stock(current_app.runtime, sku, warehouse or None, mode, int(quantity),
                                                  form.get("reason", "")[:600], _actor_name())
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc))
    except ShopError as exc:
        return await _page(product_id, exc.status, errors=_service_errors(exc), form="stock")
    await record("product.stock", f"product={product_id}", {
        "sku": sku, "warehouse": result["warehouse"], "change": result["change"], "on_hand": result["on_hand"]})
    return redirect(f"/admin/products/{product_id}?done=stock", 303)


@blueprint.post("/admin/products/<int:product_id>/delete")
@staff_page(WRITE)
async def delete_product(product_id: int):
    try:
        slug = await _slug(product_id)
        await manage.delete_product(current_app.runtime, slug)
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc))
    except ShopError as exc:
        return await _page(product_id, exc.status, errors={"delete": str(exc)}, form="delete")
    await record("product.delete", f"product={product_id}", {"slug": slug})
    return redirect("/admin/products?done=deleted&n=1", 303)
