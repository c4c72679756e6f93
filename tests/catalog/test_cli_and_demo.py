"""`shopwright import/export products` and `seed-demo` as real subprocesses, and
the demo catalog through the services."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine.catalog import services
from engine.catalog.demo import seed_demo_catalog
from engine.catalog.tables import Product, ProductImage
from engine.protocols import SearchQuery


def run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli_env(tmp_path) -> dict:
    env = {"SHOPWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "SHOPWRIGHT_SECRET_KEY": "cli-test-secret-key-0123456789", "SHOPWRIGHT_CONFIG": os.devnull}
    assert run_cli("migrate", env=env).returncode == 0
    return env


def test_cli_import_export(cli_env, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("product_slug,title,sku,price,stock\nteapot,Teapot,TEA-1,24.00,3\nteapot,,TEA-2,26.00,1\n")
    result = run_cli("import", "products", str(good), env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "imported 2 row(s): 1 product(s), 2 variant(s)" in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"product_slug": "cup", "title": "Cup", "sku": "CUP-1", "price": "3.00"}\n'
                   '{"product_slug": "cup", "sku": "CUP-2", "price": "three"}\n')
    result = run_cli("import", "products", str(bad), "--format", "jsonl", env=cli_env)
    assert result.returncode == 1
    assert "line 2: price: must be a decimal number" in result.stderr
    assert "nothing was imported" in result.stderr
    exported = tmp_path / "out.csv"
    result = run_cli("export", "products", str(exported), env=cli_env)
    assert result.returncode == 0, result.stderr
    lines = exported.read_text().splitlines()
    assert len(lines) == 3 and lines[1].startswith("teapot,Teapot,")
    assert "CUP-1" not in exported.read_text()


def test_cli_seed_demo_once(cli_env):
    first = run_cli("seed-demo", "--products", "40", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "40 product(s) created" in first.stdout
    second = run_cli("seed-demo", env=cli_env)
    assert second.returncode == 0 and "already present" in second.stdout


async def test_demo_catalog(make_app, database_url):
    app = await make_app(database_url=database_url)
    runtime = app.runtime
    assert await seed_demo_catalog(runtime) == 300
    assert await seed_demo_catalog(runtime) == 0
    assert await Product.count().run() == 300
    tree = await services.category_tree()
    assert len(tree) == 3 and all(node["children"] and node["children"][0]["children"] for node in tree)
    images = await ProductImage.select(ProductImage.url, ProductImage.alt).run()
    assert len(images) == 600 and all(image["alt"].strip() for image in images)
    featured = await services.featured_products(8)
    assert len(featured) == 8
    product = await services.get_product(featured[0]["slug"])
    assert len(product["variants"]) >= 1 and product["attributes"]["material"]
    assert product["price_from"]["currency"] == runtime.settings.store.currency
    assert any(v["in_stock"] for v in (await services.get_product(featured[1]["slug"]))["variants"])
    items, cursor = await services.search_products(runtime, SearchQuery(category="women", sort="price_asc"))
    assert len(items) == 24 and cursor
    image = await app.test_client().get(product["images"][0]["url"])
    assert image.status_code == 200 and image.content_type.startswith("image/svg+xml")
