"""OpenID Connect sign-in end to end against a stand-in provider on
127.0.0.1 (real HTTP: discovery, JWKS, authorize, token)."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from engine.testing import create_customer, fetchone, fetchval
from engine.testing.checkout import served
from shopwright_auth_oidc import plugin as oidc_plugin
from shopwright_auth_oidc import provider as oidc_client

sys.path.insert(0, str(Path(__file__).parent))
from stand_in_provider import StandInProvider  # noqa: E402

PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
async def idp():
    provider = StandInProvider()
    async with served(provider.app) as base:
        provider.issuer = base
        oidc_client._discovery.clear()
        oidc_client._jwks.clear()
        yield provider


@pytest.fixture
async def shop(make_app, database_url, idp):
    app = await make_app(database_url=database_url, plugins=[oidc_plugin],
                         store={"base_url": "http://shop.example"})
    await app.runtime.host.configure("auth_oidc", {"issuer": idp.issuer, "client_id": idp.client_id,
                                                   "client_secret": idp.client_secret, "title": "Sign in with Example"})
    return app


async def _sign_in(shop, client=None, next_path: str = "/account"):
    """Run the browser's part of the flow; returns (client, callback response)."""
    client = client or shop.test_client()
    start = await client.get(f"/account/login/oidc?next={next_path}")
    assert start.status_code == 303, await start.get_data(as_text=True)
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == ["http://shop.example/account/login/oidc/callback"]
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(authorize)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    return client, await client.get(f"{callback.path}?{callback.query}")


async def test_sign_in_creates_then_reuses_the_customer(shop, idp):
    page = await (await shop.test_client().get("/account/login")).get_data(as_text=True)
    assert 'href="/account/login/oidc?next=' in page and "Sign in with Example" in page
    client, done = await _sign_in(shop, next_path="/account/orders")
    assert done.status_code == 303 and done.headers["Location"] == "/account/orders"
    assert (await client.get("/account/orders")).status_code == 200
    customer = await fetchone("SELECT * FROM customers WHERE email = {}", "sso@example.test")
    assert customer["email_verified_at"] is not None and customer["password_hash"] == ""
    assert customer["name"] == "Sso User"
    link = await fetchone("SELECT * FROM customer_identities WHERE customer = {}", customer["id"])
    assert link["key"] == f"oidc:{idp.issuer}:user-1"
    request = idp.token_requests[-1]
    assert request["grant_type"] == "authorization_code" and request["code_verifier"]
    assert "client_secret" not in request, "the secret goes in the Authorization header"

    idp.next_user = {**idp.next_user, "email": "changed@example.test"}
    again, second = await _sign_in(shop)
    assert second.status_code == 303
    assert await fetchval("SELECT COUNT(*) FROM customers") == 1, "the stored link wins"
    profile = await (await again.get("/api/v1/account")).get_json()
    assert profile["email"] == "sso@example.test"


async def test_existing_accounts_are_linked_safely(shop, idp):
    verified = await create_customer(shop.runtime, "known@example.test", PASSWORD, verified=True)
    idp.next_user = {"sub": "known-1", "email": "known@example.test", "email_verified": True}
    _, done = await _sign_in(shop)
    assert done.status_code == 303
    row = await fetchone("SELECT * FROM customers WHERE id = {}", verified["id"])
    assert row["password_hash"], "a verified account keeps its password"

    squatted = await create_customer(shop.runtime, "victim@example.test", PASSWORD)
    idp.next_user = {"sub": "victim-1", "email": "victim@example.test", "email_verified": True}
    _, done = await _sign_in(shop)
    assert done.status_code == 303
    row = await fetchone("SELECT * FROM customers WHERE id = {}", squatted["id"])
    assert row["password_hash"] == "", "whoever pre-registered the address loses the password"
    assert row["email_verified_at"] is not None


@pytest.mark.parametrize("attack", ["state", "forged_signature", "nonce", "unverified_email", "client_secret",
                                    "replayed_callback"])
async def test_bad_answers_sign_nobody_in(shop, idp, attack):
    client = shop.test_client()
    if attack == "forged_signature":
        idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
    if attack == "nonce":
        idp.nonce_override = "another-nonce"
    if attack == "unverified_email":
        idp.next_user = {"sub": "u-2", "email": "new@example.test", "email_verified": False}
    if attack == "client_secret":
        await shop.runtime.host.configure("auth_oidc", {"client_secret": "wrong"})
    start = await client.get("/account/login/oidc")
    authorize = start.headers["Location"]
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(authorize)
    callback = urlsplit(answer.headers["Location"])
    query = callback.query
    if attack == "state":
        query = re.sub(r"state=[^&]+", "state=tampered", query)
    response = await client.get(f"{callback.path}?{query}")
    if attack == "replayed_callback":
        assert response.status_code == 303
        other = shop.test_client()
        response = await other.get(f"{callback.path}?{query}")
        client = other
    assert response.status_code in (400, 401), attack
    assert "Sign-in failed" in await response.get_data(as_text=True)
    assert (await client.get("/account/orders")).status_code == 303
    if attack != "replayed_callback":
        assert await fetchval("SELECT COUNT(*) FROM customers") == 0


async def test_unconfigured_or_disabled_plugin_offers_nothing(make_app, idp):
    app = await make_app(plugins=[oidc_plugin])
    assert "login/oidc" not in await (await app.test_client().get("/account/login")).get_data(as_text=True)
    assert (await app.test_client().get("/account/login/oidc")).status_code == 404
    await app.runtime.host.configure("auth_oidc", {"issuer": idp.issuer, "client_id": "x"})
    assert (await app.test_client().get("/account/login/oidc")).status_code == 303
    await app.runtime.host.disable("auth_oidc")
    assert (await app.test_client().get("/account/login/oidc")).status_code == 404
