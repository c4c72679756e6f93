"""The dashboard (``/admin``): what a merchant checks first.

Every signed-in staff member may open it; each panel shows only with the
permission behind its figures — sales (today, 7 and 30 days, orders,
average order value, a 30-day chart, top products) with ``orders:read``, low
stock with ``catalog:read``, plugin problems and failed jobs with ``plugins:write``. The
figures are the orders and catalog domains' reads; the chart is an SVG drawn
here (no script).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from quart import Blueprint, current_app, g, redirect

from engine.accounts import staff as staff_service
from engine.accounts.permissions import actor_has
from engine.admin.access import ANY_STAFF, staff_page
from engine.admin.rendering import render_admin
from engine.catalog import services as catalog
from engine.db.sql import reading
from engine.jobs.arq_queue import QueueUnavailable
from engine.jobs.overview import overview as jobs_overview
from engine.orders import reports

blueprint = Blueprint("admin_dashboard", __name__)

CHART_WIDTH, CHART_HEIGHT = 600, 160


def sales_chart(days: list[tuple[date, int]]) -> dict[str, Any]:
    """Bars for the SVG chart: ``{"bars": [{x, y, width, height, day, amount}], "peak"}``."""
    peak = max((amount for _, amount in days), default=0)
    width = CHART_WIDTH / max(len(days), 1)
    bars = []
    for index, (day, amount) in enumerate(days):
        height = round(CHART_HEIGHT * amount / peak, 1) if peak else 0
        bars.append({"x": round(index * width + 1, 1), "width": round(max(width - 2, 1), 1),
                     "y": round(CHART_HEIGHT - height, 1), "height": height, "day": day.isoformat(),
                     "amount": amount})
    return {"bars": bars, "peak": peak, "width": CHART_WIDTH, "height": CHART_HEIGHT}


@blueprint.get("/admin")
@staff_page(ANY_STAFF)
async def dashboard():
    actor = g.actor
    runtime = current_app.runtime
    currency = runtime.settings.store.currency
    now = datetime.fromtimestamp(runtime.clock(), timezone.utc)
    context: dict[str, Any] = {"currency": currency}
    async with reading():
        me = await staff_service.get_staff(actor["id"])
        if actor_has(actor, "orders:read"):
            context["periods"] = await reports.periods(currency, now)
            context["chart"] = sales_chart(await reports.daily_revenue(currency, now))
            context["top_products"] = await reports.top_products(currency, now)
        if actor_has(actor, "catalog:read"):
            context["low_stock"] = await catalog.low_stock()
    if actor_has(actor, "plugins:write"):
        context["plugin_problems"] = [status for status in runtime.host.status() if status.enabled and status.error]
        try:
            context["failed_jobs"] = len((await jobs_overview(runtime, limit=100)).failed)
        except QueueUnavailable:
            context["failed_jobs"] = None  # the panel says the queue cannot be read
    return await render_admin("admin/dashboard.html", me=me, two_factor=bool(me["totp_enabled_at"]), **context)


@blueprint.get("/admin/")
async def dashboard_with_slash():
    """``/admin/`` is the dashboard too (a typed or bookmarked trailing slash)."""
    return redirect("/admin", 308)
