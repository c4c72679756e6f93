"""The fixture plugin's manifest and hooks: public API only."""
from __future__ import annotations

import json
from pathlib import Path

import click
from pydantic import BaseModel, Field

from engine import PluginManifest, hookimpl, sdk
from engine.protocols import JobDefinition, Permission

from sdk_fixture.tables import FixturePoints, FixtureSeen

HERE = Path(__file__).resolve().parent
NAME = "sdk_fixture"


class FixtureSettings(BaseModel):
    js_url: str = Field("https://pay.example.test/v3/", max_length=500)
    points_per_order: int = Field(10, ge=0, le=1000)
    #: refuse orders whose total (minor units) is above this; 0: never
    refuse_over: int = Field(0, ge=0)
    #: raise an ordinary exception after writing the points
    fail: bool = False


MANIFEST = PluginManifest(
    name=NAME,
    title="SDK fixture",
    version="0.1.0",
    engine=">=0.1,<1",
    settings=FixtureSettings,
    piccolo_app="sdk_fixture.piccolo_app",
    templates=HERE / "templates",
    static=HERE / "static",
)


# ------------------------------------------------------------------ command line
@click.group("sdkfix")
def sdkfix() -> None:
    """The SDK fixture's commands."""


@sdkfix.command("stock")
@click.argument("pairs", nargs=-1, required=True)
def stock(pairs: tuple[str, ...]) -> None:
    """Set stock: SKU=QUANTITY ..."""
    quantities = {}
    for pair in pairs:
        sku, _, quantity = pair.partition("=")
        quantities[sku] = int(quantity)
    changes = sdk.run_command(lambda runtime: sdk.set_stock(runtime, quantities, origin=NAME))
    click.echo(f"changed: {' '.join(changes.changed) or '-'}; unchanged: {' '.join(changes.unchanged) or '-'}")


@sdkfix.command("show")
@click.argument("slug")
def show(slug: str) -> None:
    """Print a product (drafts too) as JSON."""

    async def read(runtime):
        return await sdk.product(runtime, slug, include_unpublished=True)

    found = sdk.run_command(read)
    if found is None:
        raise click.ClickException(f"no product {slug!r}")
    click.echo(json.dumps({"slug": found.slug, "status": found.status,
                           "variants": {v.sku: v.on_hand for v in found.variants}}))


@hookimpl
def cli_commands():
    return [sdkfix]


# ------------------------------------------------------------------ admin
@hookimpl
def admin_permissions():
    return [Permission("sdkfix:read", "View the SDK fixture"), Permission("sdkfix:write", "Change stock there")]


async def status(request: sdk.AdminRequest) -> sdk.AdminResponse:
    if request.method == "POST":
        changes = await sdk.set_stock(request.runtime, {request.form["sku"]: int(request.form["quantity"])},
                                      origin=NAME)
        return sdk.redirect_admin(f"/admin/plugins/{NAME}/status?changed={len(changes.changed)}")
    page = await sdk.products(request.runtime, status="any", limit=10)
    count = await FixturePoints.count().run()
    note = f"{request.args['changed']} changed" if "changed" in request.args else ""
    return sdk.render_admin(f"{NAME}/status.html", products=page.items, count=count, note=note)


async def notes(request: sdk.AdminRequest) -> sdk.AdminResponse:
    return sdk.render_admin(source="<p class='notes'>{{ text }}</p>", text=request.args.get("text", "<none>"))


async def broken(request: sdk.AdminRequest) -> sdk.AdminResponse:
    raise RuntimeError("the fixture's page is broken on purpose")


@hookimpl
def admin_pages():
    return [
        sdk.AdminPage("status", "SDK fixture", "sdkfix:read", status, post_permission="sdkfix:write"),
        sdk.AdminPage("notes/today", "Fixture notes", "sdkfix:read", notes, menu=False),
        sdk.AdminPage("broken", "Broken page", "sdkfix:read", broken, menu=False),
        sdk.AdminPage("Bad Path", "Refused", "sdkfix:read", notes),
    ]


# ------------------------------------------------------------------ storefront
@hookimpl
def storefront_assets(page, settings):
    return [
        sdk.script(settings.js_url, pages=("checkout", "order", "product"),
                   csp={"frame-src": [sdk.origin_of(settings.js_url)], "connect-src": ["https://api.pay.example.test"]}),
        sdk.script(static="js/widget.js", pages="product"),
        sdk.style(static="css/widget.css", pages=("product",)),
        sdk.script(static="js/missing.js", pages="product"),  # no such file: left out with a warning
    ]


# ------------------------------------------------------------------ orders
@hookimpl
async def orders_placing(order, settings):
    await FixturePoints.insert(FixturePoints(order_number=order.number, points=settings.points_per_order)).run()
    if settings.fail:
        raise RuntimeError("the points service is down")
    if settings.refuse_over and order.total.amount > settings.refuse_over:
        raise sdk.OrderRefused(f"Orders above {settings.refuse_over} cents are refused by the fixture.",
                               {"cart": "total too high"})


# ------------------------------------------------------------------ jobs and events
async def award(ctx, number: str, points: int) -> int:
    """Idempotent by order number."""
    if not await FixturePoints.exists().where(FixturePoints.order_number == number).run():
        await FixturePoints.insert(FixturePoints(order_number=number, points=points)).run()
    return points


@hookimpl
def jobs_register():
    return [JobDefinition(name=f"{NAME}.award", func=award)]


@hookimpl
async def jobs_handle_event(event, runtime):
    if event.name != "stock_changed" or event.payload["origin"] == NAME:
        return  # its own changes are not sent back
    if not await FixtureSeen.exists().where(FixtureSeen.event_id == event.id).run():
        await FixtureSeen.insert(FixtureSeen(event_id=event.id, sku=event.payload["sku"],
                                             origin=event.payload["origin"])).run()
