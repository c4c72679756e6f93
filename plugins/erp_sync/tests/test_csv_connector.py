"""The same sync through the CSV drop-folder connector: a real folder, real
files, the same jobs (SQLite and PostgreSQL)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from engine import sdk
from engine.testing import collect_jobs, fetch, wait_until
from engine.testing.checkout import add_product
from shopwright_erp_sync import plugin, store, sync
from shopwright_erp_sync.connector import ErpUnavailable
from shopwright_erp_sync.csv_folder import PRODUCT_HEADER
from test_odoo_push import paid_order

NAME = "erp_sync"


def write_products(folder: Path, rows: list[list]) -> None:
    with open(folder / "products.csv.tmp", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PRODUCT_HEADER)
        writer.writerows(rows)
    (folder / "products.csv.tmp").replace(folder / "products.csv")


def row(index: int, price: str = "4.90", on_hand: int | str = 3, stamp: str = "2026-12-01T10:00:00Z",
        title: str | None = None) -> list:
    return [f"P{index}", f"item-{index}", title or f"Item {index}", "", f"ITEM-{index:04d}", price, "", on_hand, stamp]


async def shop(make_app, database_url, folder: Path):
    app = await make_app(plugins=[plugin], database_url=database_url)
    await app.runtime.host.configure(NAME, {"connector": "csv", "url": f"file://{folder}"})
    return app


async def run_pull(runtime, **kwargs):
    connector = sync.connector_for(runtime, sdk.plugin_settings(runtime, NAME))
    return await sync.pull(runtime, connector, **kwargs)


async def test_full_pull_of_1000_products_with_stock(make_app, database_url, tmp_path):
    app = await shop(make_app, database_url, tmp_path)
    write_products(tmp_path, [row(index, price=f"{4.9 + index / 100:.2f}", on_hand=index % 7) for index in range(1000)])
    summary = await run_pull(app.runtime)
    assert (summary["products"], summary["variants"], summary["dead_lettered"]) == (1000, 1000, 0)
    known = await sdk.variants(app.runtime, ["ITEM-0003", "ITEM-0999"], include_unpublished=True)
    assert known["ITEM-0003"].on_hand == 3 and known["ITEM-0003"].price.amount == 493
    assert known["ITEM-0999"].on_hand == 999 % 7 and known["ITEM-0999"].price.amount == 1489


async def test_incremental_pull_takes_only_changed_records(make_app, database_url, tmp_path):
    app = await shop(make_app, database_url, tmp_path)
    rows = [row(index) for index in range(10)]
    write_products(tmp_path, rows)
    assert (await run_pull(app.runtime))["products"] == 10
    assert (await run_pull(app.runtime))["products"] == 0
    rows[2] = row(2, price="5.25", stamp="2026-12-02T08:00:00Z")
    rows[6] = row(6, on_hand=0, stamp="2026-12-02T08:00:01Z")
    write_products(tmp_path, rows)
    summary = await run_pull(app.runtime)
    assert summary["products"] == 2 and summary["stock_changed"] == 1
    known = await sdk.variants(app.runtime, ["ITEM-0002", "ITEM-0006"], include_unpublished=True)
    assert known["ITEM-0002"].price.amount == 525 and known["ITEM-0006"].on_hand == 0


async def test_a_product_that_cannot_be_read_is_dead_lettered_the_rest_import(make_app, database_url, tmp_path):
    app = await shop(make_app, database_url, tmp_path)
    rows = [row(index) for index in range(5)]
    rows[3] = row(3, price="12,50")                                 # a decimal comma: refused
    write_products(tmp_path, rows)
    summary = await run_pull(app.runtime)
    assert summary["products"] == 4 and summary["dead_lettered"] == 1
    [dead] = await store.open_dead_letters()
    assert dead["ref"] == "csv:P3" and "line 5" in dead["error"]
    assert await sdk.variant(app.runtime, "ITEM-0003", include_unpublished=True) is None
    rows[3] = row(3, price="12.50")
    write_products(tmp_path, rows)
    connector = sync.connector_for(app.runtime, sdk.plugin_settings(app.runtime, NAME))
    assert (await sync.pull_refs(app.runtime, connector, ["csv:P3"]))["products"] == 1
    assert await store.open_dead_letters() == []


async def test_a_paid_order_is_written_once_even_when_its_job_runs_twice(make_app, database_url, tmp_path):
    app = await shop(make_app, database_url, tmp_path)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    number = await paid_order(app, "TEE-1", 2)
    target = tmp_path / "orders" / f"{number}.csv"
    await wait_until(lambda: store.link_of("order", number), what="the order file")
    with open(target, encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(line["sku"], line["quantity"], line["unit_price"], line["email"]) for line in lines] == [
        ("TEE-1", "2", "25.00", "ada@example.test")]
    written = target.stat().st_mtime_ns
    push = collect_jobs(app.runtime.host)[f"{NAME}.push_order"][1].func
    await fetch("DELETE FROM erp_sync_links")
    assert await push({"runtime": app.runtime, "job_try": 1}, number) == f"{number}.csv"
    assert target.stat().st_mtime_ns == written and len(list((tmp_path / "orders").iterdir())) == 1


async def test_folder_down_for_three_tries_then_up_the_order_arrives_once(make_app, sqlite_url, tmp_path):
    folder = tmp_path / "exchange"
    folder.mkdir()
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    await add_product(app.runtime, "MUG-1", price=1250, stock=9)
    number = await paid_order(app, "MUG-1", 1)                       # not configured yet: it waits
    await wait_until(lambda: store.open_dead_letters("order"), what="the order waiting")
    await app.runtime.host.configure(NAME, {"connector": "csv", "url": str(folder)})
    push = collect_jobs(app.runtime.host)[f"{NAME}.push_order"][1].func
    (folder / "products.csv.lock").touch()                           # the ERP side is busy: unavailable
    for job_try in (1, 2, 3):                                        # each try as the runner makes it
        with pytest.raises(ErpUnavailable):
            await push({"runtime": app.runtime, "job_try": job_try}, number)
    (folder / "products.csv.lock").unlink()
    assert await push({"runtime": app.runtime, "job_try": 4}, number) == f"{number}.csv"
    assert await push({"runtime": app.runtime, "job_try": 1}, number) == f"{number}.csv"
    assert [path.name for path in (folder / "orders").iterdir()] == [f"{number}.csv"]
    assert await store.open_dead_letters() == []


async def test_the_imports_stock_changes_are_not_pushed_back(make_app, database_url, tmp_path):
    app = await shop(make_app, database_url, tmp_path)
    write_products(tmp_path, [row(1, on_hand=4)])
    await run_pull(app.runtime)
    events = await fetch("SELECT id FROM outbox_events WHERE name = 'stock_changed'")
    assert len(events) == 1
    await wait_until(lambda: app.runtime.queue.event_state(events[0]["id"]) == "done", what="the event handled")
    assert not (tmp_path / "stock").exists()
    await sdk.set_stock(app.runtime, {"ITEM-0001": 6}, origin="catalog")
    stock_file = tmp_path / "stock" / "ITEM-0001.csv"
    await wait_until(stock_file.exists, what="the store's change in the folder")
    assert stock_file.read_text() == "sku,on_hand,origin\nITEM-0001,6,store\n"


async def test_cancellations_and_refunds_follow_once(make_app, database_url, tmp_path):
    from engine.testing import api_token

    app = await shop(make_app, database_url, tmp_path)
    await add_product(app.runtime, "TEE-1", price=2500, stock=9)
    kept, cancelled = await paid_order(app, "TEE-1", 2), await paid_order(app, "TEE-1", 1)
    for number in (kept, cancelled):
        await wait_until(lambda: store.link_of("order", number), what=f"order {number} written")
    headers = {"Authorization": f"Bearer {await api_token('erp-follow', ['orders:write'])}"}
    client = app.test_client()
    assert (await client.post(f"/api/v1/admin/orders/{cancelled}/cancel", headers=headers,
                              json={"note": "changed mind"})).status_code == 200
    assert (await client.post(f"/api/v1/admin/orders/{kept}/refund", headers=headers,
                              json={"amount": 500})).status_code == 200
    orders = tmp_path / "orders"
    await wait_until(lambda: (orders / f"{cancelled}.cancelled.csv").exists(), what="the cancellation file")
    await wait_until(lambda: list(orders.glob(f"{kept}.refund-*.csv")), what="the refund file")
    [refund] = orders.glob(f"{kept}.refund-*.csv")
    assert refund.read_text() == f"order,amount,currency\n{kept},5.00,EUR\n"
    assert (orders / f"{cancelled}.cancelled.csv").read_text() == f"order,reason\n{cancelled},changed mind\n"
    assert not (orders / f"{kept}.cancelled.csv").exists()


async def test_a_row_stamped_in_the_same_second_after_a_pull_is_not_missed(make_app, sqlite_url, tmp_path):
    app = await shop(make_app, sqlite_url, tmp_path)
    rows = [row(1)]
    write_products(tmp_path, rows)
    assert (await run_pull(app.runtime))["products"] == 1
    write_products(tmp_path, rows + [row(2)])                  # the same updated_at as row 1
    assert (await run_pull(app.runtime))["products"] == 1
    assert await sdk.variant(app.runtime, "ITEM-0002", include_unpublished=True) is not None
    assert (await run_pull(app.runtime))["products"] == 0


async def test_a_product_marked_inactive_in_the_csv_goes_off_sale(make_app, sqlite_url, tmp_path):
    app = await shop(make_app, sqlite_url, tmp_path)

    def write(active: str, stamp: str) -> None:
        with open(tmp_path / "products.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*PRODUCT_HEADER, "active"])
            writer.writerow([*row(1, stamp=stamp), active])
            writer.writerow([*row(2), ""])

    write("", "2026-12-01T10:00:00Z")
    assert (await run_pull(app.runtime))["products"] == 2
    write("false", "2026-12-02T10:00:00Z")
    assert (await run_pull(app.runtime))["archived"] == 1
    assert await sdk.variant(app.runtime, "ITEM-0001") is None
    assert (await sdk.variant(app.runtime, "ITEM-0002")).product_status == "published"
    write("yes", "2026-12-03T10:00:00Z")
    await run_pull(app.runtime)
    assert (await sdk.variant(app.runtime, "ITEM-0001")).product_status == "published"
