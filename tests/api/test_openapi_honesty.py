"""What the OpenAPI document promises beyond the models (issue 20, item 9); the
whole document is exercised by test_schemathesis.py."""
from __future__ import annotations

from engine.accounts.staff import create_token
from engine.web.converters import MAX_ID


async def test_unsupported_methods_answer_405_with_allow(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url)
    client = app.test_client()
    for method, path, allowed in (("TRACE", "/api/v1/products", "GET, HEAD, OPTIONS"),
                                  ("PATCH", "/api/v1/admin/variants/A-1/stock", "GET, HEAD, OPTIONS"),
                                  ("DELETE", "/api/v1/carts", "OPTIONS, POST")):
        response = await client.open(path, method=method)
        assert response.status_code == 405, (method, path)
        assert response.headers["Allow"] == allowed, (method, path)
        assert response.headers["Content-Type"] == "application/problem+json"


async def test_the_document_names_parameters_bounds_and_answers(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url)
    doc = await (await app.test_client().get("/openapi.json")).get_json()
    paths = doc["paths"]
    assert "/api/v1/carts/{token}/lines/{sku}" in paths and "/api/v1/carts/{sku}" not in paths
    promotion = paths["/api/v1/admin/promotions/{promotion_id}"]["delete"]
    (parameter,) = [p for p in promotion["parameters"] if p["in"] == "path"]
    assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    assert {"2XX", "401", "403", "404", "409", "422", "429"} <= set(promotion["responses"])
    assert "401" in paths["/api/v1/account/addresses"]["get"]["responses"], "the shopper's session"
    price = doc["components"]["schemas"]["MoneyIn"]["properties"]["currency"]
    assert {"EUR", "eur"} == {value for branch in price["anyOf"] for value in branch.get("enum", [])}


async def test_a_bearer_token_at_admin_login_shows_the_form(sqlite_url, make_app):
    """A token is not a staff session: /admin/login once sent it to /admin, which sent it back."""
    app = await make_app(database_url=sqlite_url)
    token, _ = await create_token("looping", ["all"])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    login = await client.get("/admin/login", headers=headers)
    assert login.status_code == 200
    assert 'name="password"' in await login.get_data(as_text=True)
    admin = await client.get("/admin", headers=headers)
    assert admin.status_code == 303 and admin.headers["Location"].startswith("/admin/login")
