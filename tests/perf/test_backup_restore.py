"""``shopwright backup FILE`` / ``shopwright restore FILE`` on SQLite and PostgreSQL.

The backup is taken while the shop is running (and, on SQLite, while it keeps
writing); the catalog is then changed, the backup restored, and the shop's
data must be what it was at backup time — triggers, indexes and all.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from engine.catalog import services as catalog
from engine.db.backup import BackupError, restore
from engine.testing.themes import seed_sample_catalog

SECRET = "backup-test-secret-0123456789"


def cli(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": database_url, "SHOPWRIGHT_SECRET_KEY": SECRET,
           "SHOPWRIGHT_CONFIG": os.devnull}
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


async def _product_titles(runtime) -> set[str]:
    rows = await runtime.database.engine.run_ddl("SELECT title FROM catalog_products")
    return {row["title"] for row in rows}


async def test_backup_while_running_then_restore(make_runtime, database_url, tmp_path):
    runtime = await make_runtime(database_url=database_url)
    await seed_sample_catalog(runtime)
    before = await _product_titles(runtime)
    target = tmp_path / "shop.backup"

    async def keep_writing():
        for n in range(20):
            await catalog.set_stock(runtime, "MUG-1", None, n)
            await asyncio.sleep(0.01)

    writer = asyncio.create_task(keep_writing())
    done = await asyncio.to_thread(cli, database_url, "backup", str(target))
    await writer
    assert "backed up to" in done.stdout and target.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))

    await catalog.save_product(runtime, {"slug": "after-backup", "title": "After backup", "status": "published",
                                         "variants": [{"sku": "AFTER-1", "price": "1.00", "stock": 1}]})
    await runtime.database.engine.run_ddl("DELETE FROM catalog_product_images")
    assert "After backup" in await _product_titles(runtime)
    await runtime.stop()

    done = await asyncio.to_thread(cli, database_url, "restore", str(target))
    assert "restored" in done.stdout

    restored = await make_runtime(database_url=database_url)
    assert await _product_titles(restored) == before
    images = await restored.database.engine.run_ddl("SELECT COUNT(*) AS n FROM catalog_product_images")
    assert int(images[0]["n"]) > 0
    product = await catalog.get_product("oxford-shirt")
    assert product is not None and len(product["variants"]) == 6
    # the restored schema still counts changes (the cache triggers came back too)
    from engine.cache.counters import read_counters

    counters = await read_counters(restored.database.engine)
    await catalog.set_stock(restored, "MUG-1", None, 7)
    assert (await read_counters(restored.database.engine))["stock"] > counters["stock"]


async def test_restore_refuses_what_it_cannot_restore(database_url, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all")
    with pytest.raises(BackupError, match="not a Shopwright backup"):
        restore(database_url, junk)
    with pytest.raises(BackupError, match="no backup file"):
        restore(database_url, tmp_path / "missing.backup")
    other = tmp_path / "other.backup"
    if database_url.startswith("sqlite"):
        other.write_bytes(b"PGDMP" + b"\0" * 100)
        expected = "PostgreSQL backup"
    else:
        other.write_bytes(b"SQLite format 3\x00" + b"\0" * 100)
        expected = "SQLite backup"
    with pytest.raises(BackupError, match=expected):
        restore(database_url, other)
    done = await asyncio.to_thread(cli, database_url, "restore", str(junk), check=False)
    assert done.returncode == 1 and done.stderr.startswith("error: ")
