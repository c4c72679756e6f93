"""``shopwright erp status|pull|push|retry`` in a real ``shopwright`` process
against the test shop and the stand-in Odoo server, and the cron job."""
from __future__ import annotations

import os
import subprocess
import sys

from engine.testing import collect_jobs, wait_until
from engine.testing.checkout import add_product
from shopwright_erp_sync import jobs, plugin, store
from shopwright_erp_sync.settings import ErpSyncSettings
from test_odoo_push import CONFIG, paid_order, sale_orders

NAME = "erp_sync"


def _shopwright(app, *args: str) -> subprocess.CompletedProcess:
    settings = app.runtime.settings
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": settings.database_url, "SHOPWRIGHT_CONFIG": os.devnull,
           "SHOPWRIGHT_SECRET_KEY": settings.secret_key.get_secret_value()
           if hasattr(settings.secret_key, "get_secret_value") else settings.secret_key,
           "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "engine.cli", "erp", *args], env=env, capture_output=True,
                          text=True, timeout=120)


async def test_erp_commands(make_app, database_url, odoo):
    app = await make_app(plugins=[plugin], database_url=database_url)
    ids = [odoo.add_product(f"Pen {index}", f"PEN-{index}", price=1.2, on_hand=3) for index in range(5)]
    odoo.faulty.add(ids[2][0])
    ink, _ = odoo.add_product("Ink", "INK-1", price=8.0, on_hand=4)
    await add_product(app.runtime, "INK-1", price=800, stock=4, slug=f"odoo-{ink}")   # the ERP's slug
    number = await paid_order(app, "INK-1", 1)            # paid before configuring: waits as a dead letter
    await wait_until(lambda: store.open_dead_letters("order"), what="the order waiting")

    unconfigured = _shopwright(app, "status")
    assert unconfigured.returncode == 0, unconfigured.stderr
    assert "not configured: set url, db, username, password" in unconfigured.stdout

    await app.runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    pulled = _shopwright(app, "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == "pulled 5 products, 5 variants, 5 stock changes, 1 dead-lettered"

    status = _shopwright(app, "status")
    assert status.returncode == 0, status.stderr
    assert "connector: odoo (reachable: Odoo 17.0-standin" in status.stdout
    assert "dead letters: 2" in status.stdout and f"order {number}" in status.stdout
    assert f"product product.template:{ids[2][0]}" in status.stdout

    pushed = _shopwright(app, "push", number)
    assert pushed.returncode == 0, pushed.stderr
    erp_id = str(sale_orders(odoo, number)[0]["id"])
    assert pushed.stdout.strip() == f"{number} -> {erp_id}"
    again = _shopwright(app, "push", number)
    assert again.stdout.strip() == f"{number} -> {erp_id} (already pushed)"

    odoo.faulty.clear()
    retried = _shopwright(app, "retry")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == "retried: 1 through, 0 still failing"   # the product; the push resolved the order
    assert len(sale_orders(odoo, number)) == 1 and await store.open_dead_letters() == []

    odoo.down = 1000
    down = _shopwright(app, "pull")
    assert down.returncode == 1 and "error: Odoo answered HTTP 503" in down.stderr, down.stderr


async def test_the_cron_pull_runs_every_interval_minutes(make_app, sqlite_url, odoo):
    assert jobs.job_definitions(ErpSyncSettings(interval_minutes=20))[0].cron == {"minute": {0, 20, 40}}
    assert jobs.job_definitions(ErpSyncSettings(interval_minutes=120))[0].cron == {
        "hour": set(range(0, 24, 2)), "minute": {0}}
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    registered = collect_jobs(app.runtime.host)
    pull = registered[f"{NAME}.pull"][1]
    assert pull.cron == {"minute": {0, 15, 30, 45}} and f"{NAME}.push_order" in registered
    await app.runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    odoo.add_product("Pen", "PEN-1", price=1.2, on_hand=3)
    summary = await pull.func({"runtime": app.runtime, "job_try": 1})
    assert summary["products"] == 1
