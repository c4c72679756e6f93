"""A headless storefront client: plain httpx against the served app, as a
browser-side or server-side storefront would use it (no project code on the
client side): browse, fill a cart, check out with the manual method, read
the order."""
from __future__ import annotations

import asyncio
import socket
import uuid

import httpx

ORIGIN = "https://headless.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def shop_session(base: str) -> dict:
    """What the client does; returns what it saw."""
    seen: dict = {}
    async with httpx.AsyncClient(base_url=base, headers={"Origin": ORIGIN}, timeout=10) as http:
        preflight = await http.options("/api/v1/carts", headers={
            "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
        seen["preflight"] = preflight.status_code, preflight.headers.get("access-control-allow-origin")

        categories = (await http.get("/api/v1/categories")).json()
        seen["categories"] = [node["slug"] for node in categories["items"]]
        page = (await http.get("/api/v1/products", params={"category": "apparel", "limit": 1})).json()
        rest = (await http.get("/api/v1/products", params={"category": "apparel", "limit": 1,
                                                             "cursor": page["next_cursor"]})).json()
        seen["pages"] = [item["slug"] for item in page["items"] + rest["items"]], rest["next_cursor"]
        found = (await http.get("/api/v1/products", params={"q": "towel"})).json()
        seen["search"] = [item["slug"] for item in found["items"]]

        product = await http.get("/api/v1/products/oxford-shirt")
        etag = product.headers["etag"]
        seen["revalidated"] = (await http.get("/api/v1/products/oxford-shirt",
                                              headers={"If-None-Match": etag})).status_code
        variant = next(v for v in product.json()["variants"] if v["quantity_available"] >= 2)

        cart = (await http.post("/api/v1/carts")).json()["id"]
        added = await http.post(f"/api/v1/carts/{cart}/lines", json={"sku": variant["sku"], "quantity": 2})
        seen["added"] = added.status_code
        seen["cart_lines"] = [(line["sku"], line["quantity"]) for line in
                              (await http.get(f"/api/v1/carts/{cart}")).json()["lines"]]
        shipping = (await http.get(f"/api/v1/carts/{cart}/shipping-methods")).json()
        payment = (await http.get(f"/api/v1/carts/{cart}/payment-methods")).json()
        seen["payment_methods"] = [m["id"] for m in payment["items"]]
        address = {"first_name": "Grace", "last_name": "Hopper", "line1": "1 Navy Yard", "city": "Arlington",
                   "postal_code": "22202", "country": "US"}
        body = {"email": "grace@example.test", "shipping_address": address,
                "shipping_method": shipping["items"][0]["id"], "payment_method": "manual"}
        key = uuid.uuid4().hex
        order = await http.post(f"/api/v1/carts/{cart}/checkout", json=body, headers={"Idempotency-Key": key})
        replay = await http.post(f"/api/v1/carts/{cart}/checkout", json=body, headers={"Idempotency-Key": key})
        seen["checkout"] = order.status_code, order.headers.get("access-control-allow-origin")
        placed = order.json()
        seen["replay_same"] = replay.json()["number"] == placed["number"]
        read = await http.get(f"/api/v1/orders/{placed['number']}", params={"token": placed["access_token"]})
        seen["order"] = read.status_code, read.json()["status"], read.json()["number"] == placed["number"]
        seen["wrong_token"] = (await http.get(f"/api/v1/orders/{placed['number']}",
                                              params={"token": "nope"})).status_code
    return seen


async def test_headless_client_buys_and_reads_its_order(database_url, shopwright_settings, catalog_builder):
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from engine.app import create_app

    settings = shopwright_settings(database_url=database_url, api={"cors_origins": [ORIGIN]})
    app = create_app(settings, plugins=[])
    config = Config()
    config.bind = [f"127.0.0.1:{_free_port()}"]
    config.accesslog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    base = f"http://{config.bind[0]}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                try:
                    if (await probe.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        await catalog_builder(app.runtime)
        seen = await shop_session(base)
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
    assert seen["preflight"] == (204, ORIGIN)
    assert seen["categories"] == ["apparel"]
    slugs, last_cursor = seen["pages"]
    assert sorted(slugs) == ["oxford-shirt", "tea-towel"] and last_cursor is None
    assert seen["search"] == ["tea-towel"]
    assert seen["revalidated"] == 304
    assert seen["added"] == 201 and seen["cart_lines"][0][1] == 2
    assert "manual" in seen["payment_methods"]
    assert seen["checkout"] == (201, ORIGIN)
    assert seen["replay_same"] is True
    assert seen["order"] == (200, "pending_payment", True)
    assert seen["wrong_token"] == 404
