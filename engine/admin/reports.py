"""Reports in the admin: ``/admin/reports`` (one report over a date range,
shown as a table) and ``/admin/reports/<name>.csv`` (the same report as a
CSV download), with ``orders:read``.

The query string: ``report`` (one of
:data:`engine.orders.sales_reports.REPORTS`, default ``sales``), ``from``
and ``to`` (UTC days ``YYYY-MM-DD``, both included; default the last 30
days), ``grain`` (``day``, ``week`` or ``month``). What cannot be read comes
back at its field (422). The figures are
:mod:`engine.orders.sales_reports`'s; CSV amounts are decimal major units
(``12.50``), and a text cell that a spreadsheet would run as a formula is
prefixed with ``'``.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping
from urllib.parse import urlencode

from quart import Blueprint, Response, current_app, request

from engine.admin.access import staff_page
from engine.admin.amounts import format_major
from engine.admin.rendering import render_admin
from engine.db.sql import reading
from engine.orders import sales_reports

blueprint = Blueprint("admin_reports", __name__)

READ = "orders:read"
TITLES = {"sales": "Sales", "products": "By product", "categories": "By category",
          "payment_methods": "By payment method", "shipping_methods": "By shipping method", "refunds": "Refunds",
          "taxes": "Taxes collected"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_query(args: Mapping[str, Any], today: date) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """``(query, typed, errors)``: the report, range and grain asked for."""
    typed = {name: str(args.get(name, "")).strip()[:40] for name in ("report", "from", "to", "grain")}
    errors: dict[str, str] = {}
    report = typed["report"] or "sales"
    if report not in sales_reports.REPORTS:
        errors["report"] = "Choose one of the reports listed."
    grain = typed["grain"] or "day"
    if grain not in sales_reports.GRAINS:
        errors["grain"] = "Choose day, week or month."
    days = {}
    for field, default in (("from", today - timedelta(days=29)), ("to", today)):
        try:
            days[field] = date.fromisoformat(typed[field]) if typed[field] else default
        except ValueError:
            errors[field] = "Write the day as YYYY-MM-DD."
    if not errors and days["from"] > days["to"]:
        errors["to"] = "The last day must not be before the first."
    elif not errors and (days["to"] - days["from"]).days >= sales_reports.MAX_DAYS:
        errors["to"] = f"A report covers at most {sales_reports.MAX_DAYS} days."
    query = {"report": report, "grain": grain, "first": days.get("from"), "last": days.get("to")}
    typed.update(report=report, grain=grain)
    for field, day in days.items():
        typed[field] = typed[field] or day.isoformat()
    return query, typed, errors


def _today() -> date:
    return datetime.fromtimestamp(current_app.runtime.clock(), timezone.utc).date()


@blueprint.get("/admin/reports")
@staff_page(READ)
async def reports_page():
    query, typed, errors = read_query(request.args, _today())
    context = {"typed": typed, "errors": errors, "titles": TITLES, "grains": sales_reports.GRAINS, "report": None,
               "currency": current_app.settings.store.currency}
    if errors:
        return await render_admin("admin/reports.html", status=422, **context)
    async with reading():
        report = await sales_reports.build(query["report"], context["currency"], query["first"], query["last"],
                                           query["grain"])
    kept = {"from": typed["from"], "to": typed["to"], "grain": typed["grain"]}
    context.update(report=report, kept=urlencode(kept),
                   csv_url=f"/admin/reports/{report.name}.csv?" + urlencode(kept),
                   totals=_totals(report))
    return await render_admin("admin/reports.html", **context)


def _totals(report: sales_reports.Report) -> dict[str, int]:
    """Column sums of the money and count columns (for the table's footer)."""
    totals = {}
    for index, column in enumerate(report.columns[1:], start=1):
        if all(isinstance(row[index], int) for row in report.rows):
            totals[column] = sum(row[index] for row in report.rows)
    return totals


def _cell(value: Any, column: str, report: sales_reports.Report, currency: str) -> Any:
    if column in report.money:
        return format_major(value, currency)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@blueprint.get("/admin/reports/<name>.csv")
@staff_page(READ)
async def report_csv(name: str):
    query, typed, errors = read_query({**request.args, "report": name}, _today())
    if errors:
        return Response("; ".join(f"{field}: {message}" for field, message in errors.items()) + "\n", status=422,
                        content_type="text/plain; charset=utf-8")
    currency = current_app.settings.store.currency
    async with reading():
        report = await sales_reports.build(name, currency, query["first"], query["last"], query["grain"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{column} ({currency})" if column in report.money else column for column in report.columns])
    for row in report.rows:
        writer.writerow([_cell(value, column, report, currency) for value, column in zip(row, report.columns)])
    filename = f"{name}-{query['first']}-{query['last']}.csv"
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})
