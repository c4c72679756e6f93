"""What the risk plugin adds to placing an order: the scoring it runs inside
the order's transaction (the ``orders_placing`` hook), with a trained model
and ``--history`` earlier assessments in its table.

Builds a fresh database (SQLite in a temporary folder, or with
``--postgres`` a new database on the local PostgreSQL, dropped afterwards),
enables the ``risk`` plugin, stores ``--history`` assessments with random
features and labels, trains the model with the worker's job, then times
``--orders`` scorings one after another, each in a write transaction rolled
back (the order is not kept, so every run sees the same history):
gathering the signals (indexed queries on the plugin's table and one on
payments), the rules and the model's prediction. The prediction alone (pure
Python over the exported trees) is timed apart.

Usage: python bench/risk_scoring.py [--postgres] [--history 5000] [--orders 300]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BenchDatabase, load_average, settings_for  # noqa: E402

ADDRESS = {"first_name": "Bench", "last_name": "Buyer", "line1": "Hauptstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}


class _Rollback(Exception):
    pass


def _order(n: int):
    from engine.money import Money
    from engine.protocols import OrderLineSnapshot, OrderSnapshot

    def eur(amount: int) -> Money:
        return Money(amount, "EUR")

    total = 2000 + (n * 7919) % 30000
    line = OrderLineSnapshot(sku="BENCH-1", title="Bench", quantity=1, unit_price=eur(total), subtotal=eur(total),
                             discount=eur(0), total=eur(total), options={}, variant_id=1, product_id=1,
                             tax_class="standard", fulfilled_quantity=0)
    return OrderSnapshot(id=10_000_000 + n, number=str(10_000_000 + n), status="pending_payment",
                         email=f"buyer{n % 400}@example.test", customer=None, currency="EUR", lines=(line,),
                         subtotal=eur(total), discount_total=eur(0), shipping_total=eur(0), tax_total=eur(0),
                         total=eur(total), paid=eur(0), refunded=eur(0), prices_include_tax=False,
                         shipping_address=ADDRESS, billing_address=dict(ADDRESS, country="FR" if n % 9 == 0 else "DE"),
                         shipping_method="flat_rate:standard", shipping_label="Standard", payment_method="manual",
                         placed_at=datetime.now(timezone.utc))


async def run(url: str, history: int, orders: int) -> dict:
    from engine import sdk
    from engine.runtime import Runtime
    from shopwright_risk import model, plugin, screening
    from shopwright_risk.tables import RiskAssessment

    runtime = Runtime(settings_for(url), plugins=[plugin])
    await runtime.connect()
    await runtime.migrate(echo=lambda *_: None, only_enabled=False)
    await runtime.start(background=False, jobs=False)
    try:
        await runtime.host.enable("risk")
        rng = random.Random(5)
        now = datetime.now(timezone.utc)
        rows = []
        for n in range(history):
            fraud = rng.random() < 0.1
            features = {name: rng.random() * (3 if fraud else 1) for name in model.FEATURES}
            rows.append(RiskAssessment(order_id=n + 1, number=str(n + 1), email=f"buyer{n % 400}@example.test",
                                       ip_hash=f"{n % 300:064d}", payer_hash=f"{n % 350:064d}",
                                       total=1000 + n % 20000, features=json.dumps(features), label=int(fraud),
                                       created_at=now))
        async with sdk.transaction(runtime):
            for start in range(0, len(rows), 500):
                await RiskAssessment.insert(*rows[start:start + 500])
        trained = await __import__("shopwright_risk.training", fromlist=["train"]).train(
            runtime, sdk.plugin_settings(runtime, "risk"))
        settings = sdk.plugin_settings(runtime, "risk")
        await screening.current_model()   # the process's first read of the model, as after a start

        timings = []
        for n in range(orders):
            started = time.perf_counter()
            try:
                async with runtime.database.transaction():
                    await screening.screen(runtime, settings, _order(n), f"10.0.{n % 50}.{n % 200}")
                    raise _Rollback
            except _Rollback:
                pass
            timings.append((time.perf_counter() - started) * 1000)

        exported = await screening.current_model()
        features = json.loads(rows[0].features)
        started = time.perf_counter()
        for _ in range(2000):
            model.predict(exported, features)
        predict_us = (time.perf_counter() - started) / 2000 * 1e6
    finally:
        await runtime.stop()
    timings.sort()
    return {"trained": trained, "p50": statistics.median(timings), "p99": timings[int(len(timings) * 0.99) - 1],
            "mean": statistics.fmean(timings), "predict_us": predict_us, "trees": len(exported["trees"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--history", type=int, default=5000)
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = BenchDatabase(Path(folder), args.postgres)
        database.create()
        try:
            result = asyncio.run(run(database.url, args.history, args.orders))
        finally:
            database.drop()
    print(f"risk scoring on {database.label}: {args.history} earlier assessments, model of {result['trees']} trees "
          f"({result['trained']['labelled']} labelled); load {load_average()}")
    print(f"  score one order (signals, rules, model, insert; rolled back): p50 {result['p50']:.2f} ms, "
          f"p99 {result['p99']:.2f} ms, mean {result['mean']:.2f} ms over {args.orders}")
    print(f"  model prediction alone: {result['predict_us']:.0f} µs")


if __name__ == "__main__":
    main()
