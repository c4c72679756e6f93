"""The plugin's admin page, ``/admin/plugins/shipping_rates/rates``
(permission ``settings:write``, for viewing and for changes): the zones with
their countries and postcodes, each zone's methods with their bands, fees,
order limits, delivery estimates and tax classes; forms to add, change and
delete zones, methods and bands (amounts in decimal major units, problems
shown at their field); the CSV downloaded (``?download=csv``) and uploaded
(replacing the whole table, as ``shopwright shipping import`` does).

Every change is one POST with an ``action`` and the table's ``version``
(:func:`~shopwright_shipping_rates.store.table_version`): the edit is made on
the stored table in one transaction, refused (409) when another change came
first, and written to the audit log. The page is built only from
``engine.sdk``, as any plugin's would be.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from engine import sdk
from engine.money import Money

from shopwright_shipping_rates import editing
from shopwright_shipping_rates.commands import MAX_FILE_BYTES
from shopwright_shipping_rates.rate_csv import RateFileError, read_rates, write_rates
from shopwright_shipping_rates.rates import BASES, Band, Method, RateTable
from shopwright_shipping_rates.store import StaleTable, edit_rates, load_rates, replace_rates, table_version

NAME = "shipping_rates"
PATH = "rates"
URL = f"/admin/plugins/{NAME}/{PATH}"
PERMISSION = "settings:write"
TEMPLATE = f"{NAME}/rates.html"


def _major(amount: int | None, currency: str) -> str:
    return "" if amount is None else str(Money(amount, currency).as_decimal())


def _bound(value: int | None, basis: str, currency: str) -> str:
    if value is None:
        return ""
    return _major(value, currency) if basis == "subtotal" else str(value)


def _band_text(band: Band, basis: str, currency: str) -> dict[str, str]:
    return {"min": _bound(band.low, basis, currency), "max": _bound(band.high, basis, currency),
            "price": _major(band.price, currency)}


def method_form(method: Method) -> dict[str, str]:
    """A method as its form shows it (major units, empty for unset)."""
    currency = method.currency
    return {"code": method.code, "label": method.label, "basis": method.basis,
            "handling_fee": _major(method.handling_fee, currency) if method.handling_fee else "",
            "min_order": _major(method.min_order, currency), "max_order": _major(method.max_order, currency),
            "min_days": "" if method.min_days is None else str(method.min_days),
            "max_days": "" if method.max_days is None else str(method.max_days), "tax_class": method.tax_class}


def _where(form: Mapping[str, str]) -> tuple[str, str, int | None]:
    position = (form.get("band") or "").strip()
    return form.get("zone") or "", form.get("method") or "", int(position) if position.isdigit() else None


def _edit_for(action: str, form: Mapping[str, str], currency: str) -> tuple[Callable[[RateTable], RateTable], str]:
    """The table edit a POST asks for, and the audit target it names."""
    zone, method, band = _where(form)
    edits: dict[str, tuple[Callable[[RateTable], RateTable], str]] = {
        "add_zone": (lambda t: editing.save_zone(t, None, form), f"zone:{(form.get('name') or '').strip()}"),
        "save_zone": (lambda t: editing.save_zone(t, zone, form), f"zone:{zone}"),
        "delete_zone": (lambda t: editing.delete_zone(t, zone), f"zone:{zone}"),
        "add_method": (lambda t: editing.save_method(t, zone, None, form, currency),
                       f"zone:{zone}/method:{(form.get('code') or '').strip()}"),
        "save_method": (lambda t: editing.save_method(t, zone, method, form, currency), f"zone:{zone}/method:{method}"),
        "delete_method": (lambda t: editing.delete_method(t, zone, method), f"zone:{zone}/method:{method}"),
        "add_band": (lambda t: editing.save_band(t, zone, method, None, form), f"zone:{zone}/method:{method}"),
        "save_band": (lambda t: editing.save_band(t, zone, method, band if band is not None else -1, form),
                      f"zone:{zone}/method:{method}/band:{band}"),
        "delete_band": (lambda t: editing.delete_band(t, zone, method, band if band is not None else -1),
                        f"zone:{zone}/method:{method}/band:{band}"),
    }
    if action not in edits:
        raise editing.NotFound(f"unknown action {action!r}")
    return edits[action]


async def _page(request: Any, table: RateTable | None = None, status: int = 200, **context: Any) -> Any:
    table = table if table is not None else await load_rates()
    currency = sdk.store_currency(request.runtime)
    failed = context.pop("failed", None)

    def failed_here(action: str, zone: str = "", method: str = "", band: int | None = None) -> bool:
        """Whether the errors shown belong to this form."""
        return bool(failed) and failed["action"] == action and (not zone or failed.get("zone") == zone) \
            and (not method or failed.get("method") == method) and (band is None or failed.get("band") == band)

    return sdk.render_admin(
        TEMPLATE, status=status, table=table, version=table_version(table), currency=currency, url=URL,
        bases=BASES, band_text=_band_text, method_form=method_form, major=_major, failed_here=failed_here,
        done=request.args.get("done", ""), errors=context.pop("errors", {}), failed=failed,
        typed=context.pop("typed", {}), problem=context.pop("problem", ""),
        upload_errors=context.pop("upload_errors", []), **context)


async def rates_page(request: Any) -> Any:
    if request.method == "GET":
        if request.args.get("download") == "csv":
            return sdk.download_admin(write_rates(await load_rates()).encode("utf-8"), "shipping-rates.csv",
                                      "text/csv; charset=utf-8")
        return await _page(request)
    action = request.form.get("action") or ""
    if action == "upload":
        return await _upload(request)
    currency = sdk.store_currency(request.runtime)
    try:
        edit, target = _edit_for(action, request.form, currency)
        await edit_rates(request.runtime, request.form.get("version") or "", edit)
    except editing.FormProblems as exc:
        return await _page(request, status=422, errors=exc.errors, failed=_failed(action, request.form),
                           typed=dict(request.form), problem="Nothing was changed: correct the fields marked below.")
    except editing.NotFound as exc:
        return await _page(request, status=404, problem=f"Nothing was changed: {exc}.")
    except StaleTable:
        return await _page(request, status=409, problem="Nothing was changed: the rates were changed meanwhile "
                                                         "(in another window or by an import). Here they are now; "
                                                         "make your change again.")
    await sdk.audit_admin(request, f"{NAME}.{action}", target,
                          {key: value for key, value in request.form.items() if key not in ("csrf_token", "version")})
    return sdk.redirect_admin(f"{URL}?done={action}")


def _failed(action: str, form: Mapping[str, str]) -> dict[str, Any]:
    """Which form the errors belong to, so only that form shows them."""
    zone, method, band = _where(form)
    return {"action": action, "zone": zone, "method": method, "band": band}


async def _upload(request: Any) -> Any:
    filename, data = request.files.get("file") or ("", b"")
    problem = ""
    if not data:
        problem = "Choose a CSV file to upload."
    elif len(data) > MAX_FILE_BYTES:
        problem = f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problem = f"The file is not UTF-8 text (byte {exc.start})."
    if problem:
        return await _page(request, status=422, errors={"file": problem}, failed={"action": "upload"},
                           problem="Nothing was imported.")
    try:
        table = read_rates(text, sdk.store_currency(request.runtime))
    except RateFileError as exc:
        return await _page(request, status=422, errors={"file": f"{len(exc.errors)} problem(s) in {filename}"},
                           failed={"action": "upload"}, problem="Nothing was imported: the file has problems.",
                           upload_errors=exc.errors[:100])
    await replace_rates(request.runtime, table)
    await sdk.audit_admin(request, f"{NAME}.upload", f"file:{filename}"[:200],
                          {"zones": len(table.zones), "methods": sum(len(z.methods) for z in table.zones)})
    return sdk.redirect_admin(f"{URL}?done=upload")


def pages() -> list[Any]:
    return [sdk.AdminPage(PATH, "Shipping rates", PERMISSION, rates_page)]
