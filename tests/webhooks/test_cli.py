"""`shopwright webhooks list|deliveries|redeliver|resume`, run as a real subprocess."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from engine.catalog import services as catalog
from engine.db.sql import fetchval
from engine.webhooks import services


def run_cli(*args: str, database_url: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": database_url, "SHOPWRIGHT_CONFIG": os.devnull,
           "SHOPWRIGHT_SECRET_KEY": "cli-test-secret-key-0123456789"}
    result = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"shopwright {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


async def test_webhooks_cli(sqlite_url, make_runtime):
    runtime = await make_runtime(database_url=sqlite_url, background=False, secret_key="cli-test-secret-key-0123456789",
                                 webhooks={"retry_base_seconds": 3600})
    subscription, _ = await services.create_subscription(runtime, {"url": "http://127.0.0.1:9/hook",
                                                                   "event_types": ["product.created"]})
    await catalog.save_product(runtime, {"slug": "mug", "title": "Mug", "variants": [{"sku": "MUG", "price": "9"}]})
    await runtime.relay_now()
    for _ in range(200):  # the first attempt fails (nothing listens on port 9); the retry is an hour away
        if await fetchval("SELECT last_error FROM webhook_deliveries"):
            break
        await asyncio.sleep(0.05)
    delivery_id = await fetchval("SELECT id FROM webhook_deliveries")

    listed = json.loads(run_cli("webhooks", "list", "--json", database_url=sqlite_url).stdout)
    assert [(s["id"], s["status"], s["url"]) for s in listed] == [(subscription["id"], "active",
                                                                  "http://127.0.0.1:9/hook")]
    assert "secret" not in listed[0]
    text = run_cli("webhooks", "list", database_url=sqlite_url).stdout
    assert "http://127.0.0.1:9/hook" in text and "product.created" in text

    deliveries = json.loads(run_cli("webhooks", "deliveries", "--json", database_url=sqlite_url).stdout)
    assert [(d["id"], d["event_type"], d["status"]) for d in deliveries] == [(delivery_id, "product.created",
                                                                              "pending")]
    assert deliveries[0]["attempts"] == 1 and "ConnectError" in deliveries[0]["last_error"]

    out = run_cli("webhooks", "redeliver", str(delivery_id), database_url=sqlite_url).stdout
    assert f"delivery {delivery_id}" in out and "scheduled" in out
    assert await fetchval("SELECT round_attempts FROM webhook_deliveries WHERE id = {}", delivery_id) == 0
    missing = run_cli("webhooks", "redeliver", "999", database_url=sqlite_url, check=False)
    assert missing.returncode == 1 and "no webhook delivery 999" in missing.stderr
    out = run_cli("webhooks", "resume", str(subscription["id"]), database_url=sqlite_url).stdout
    assert out.strip() == f"subscription {subscription['id']} is active"
