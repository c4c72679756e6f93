"""Browsing reads go to a PostgreSQL read replica; everything else, and every
read while the replica is down, goes to the primary.

The "replica" is a second database on the same server, created for the test
and dropped after it. It holds a different catalog from the primary, so each
answer shows which database gave it.
"""
from __future__ import annotations

import uuid

import asyncpg
import pytest

from engine.catalog import services
from engine.testing import POSTGRES_ADMIN_URL
from engine.testing.checkout import free_port


def product(slug: str) -> dict:
    return {"slug": slug, "title": slug.replace("-", " ").title(), "status": "published",
            "variants": [{"sku": slug.upper(), "price_amount": 1500, "stock": 3}]}


@pytest.fixture
async def replica_url():
    """A fresh, empty database on the test server (its own unique name)."""
    name = f"sw_replica_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}", name
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def slugs_listed(client) -> set[str]:
    response = await client.get("/api/v1/products?sort=newest")
    assert response.status_code == 200, await response.get_data(as_text=True)
    return {item["slug"] for item in (await response.get_json())["items"]}


async def test_browsing_reads_go_to_the_replica(make_app, postgres_url, replica_url):
    url, name = replica_url
    replica = await make_app(database_url=url)
    await services.save_product(replica.runtime, product("only-on-replica"))
    primary = await make_app(database_url=postgres_url, database={"read_replicas": [url]})
    saved = await services.save_product(primary.runtime, product("only-on-primary"))
    # the write path read its own write from the primary
    assert saved["slug"] == "only-on-primary"
    client = primary.test_client()
    assert await slugs_listed(client) == {"only-on-replica"}
    assert (await client.get("/p/only-on-replica")).status_code == 200
    assert (await client.get("/api/v1/products/only-on-primary")).status_code == 404
    # reads outside browsing (staff, checkout, services called directly) use the primary
    assert await services.get_product("only-on-primary") is not None
    assert await services.get_product("only-on-replica") is None


async def test_a_replica_that_goes_down_falls_back_to_the_primary(make_app, postgres_url, replica_url):
    url, name = replica_url
    await make_app(database_url=url)
    # caches off: every request below reads the database
    primary = await make_app(database_url=postgres_url, database={"read_replicas": [url]}, cache={"enabled": False})
    await services.save_product(primary.runtime, product("on-primary"))
    client = primary.test_client()
    assert await slugs_listed(client) == set()
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    assert await slugs_listed(client) == {"on-primary"}
    assert (await client.get("/c/nowhere")).status_code == 404
    assert (await client.get("/p/on-primary")).status_code == 200


async def test_a_replica_down_from_the_start_is_skipped(make_app, postgres_url):
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    primary = await make_app(database_url=postgres_url,
                             database={"read_replicas": [nowhere], "replica_retry_seconds": 0})
    await services.save_product(primary.runtime, product("on-primary"))
    client = primary.test_client()
    assert await slugs_listed(client) == {"on-primary"}
    assert await slugs_listed(client) == {"on-primary"}
