"""CORS for headless storefronts: allowed origins, preflight, default none."""
from __future__ import annotations

ORIGIN = "https://shop.example"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type, idempotency-key"}


async def test_preflight_from_an_allowed_origin(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url, api={"cors_origins": [ORIGIN], "cors_max_age_seconds": 120,
                                                       "rate_limit_per_ip": 1})
    client = app.test_client()
    response = await client.options("/api/v1/carts/abc/checkout", headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, idempotency-key"
    assert response.headers["Access-Control-Max-Age"] == "120"
    assert "Origin" in response.headers["Vary"]
    again = await client.options("/api/v1/products", headers=PREFLIGHT)
    assert again.status_code == 204, "preflights do not use up the rate limit"

    actual = await client.get("/api/v1/categories", headers={"Origin": ORIGIN})
    assert actual.status_code == 200
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = actual.headers["Access-Control-Expose-Headers"]
    assert "ETag" in exposed and "Retry-After" in exposed
    limited = await client.get("/api/v1/categories", headers={"Origin": ORIGIN})
    assert limited.status_code == 429
    assert limited.headers["Access-Control-Allow-Origin"] == ORIGIN, "a browser can read the 429"


async def test_other_origins_and_the_default_get_no_cors(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url, api={"cors_origins": [ORIGIN]})
    client = app.test_client()
    refused = await client.options("/api/v1/products", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    plain = await client.get("/api/v1/products", headers={"Origin": "https://evil.example"})
    assert plain.status_code == 200 and "Access-Control-Allow-Origin" not in plain.headers

    default = (await make_app(database_url=sqlite_url)).test_client()
    assert (await default.options("/api/v1/products", headers=PREFLIGHT)).status_code == 403
    assert "Access-Control-Allow-Origin" not in (await default.get("/api/v1/products",
                                                                   headers={"Origin": ORIGIN})).headers


async def test_wildcard_allows_any_origin(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url, api={"cors_origins": ["*"]})
    client = app.test_client()
    response = await client.options("/api/v1/products", headers={**PREFLIGHT, "Origin": "http://localhost:3000"})
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert (await client.get("/api/v1/products", headers={"Origin": "http://x.test"})
            ).headers["Access-Control-Allow-Origin"] == "*"


def test_cors_origins_setting_is_validated():
    import pytest

    from engine.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="api.cors_origins"):
        load_settings(config_path=None, environ={"SHOPWRIGHT_API__CORS_ORIGINS": '["shop.example"]'})
    settings = load_settings(config_path=None, environ={"SHOPWRIGHT_API__CORS_ORIGINS": '["https://a.example/"]'})
    assert settings.api.cors_origins == ["https://a.example"]
