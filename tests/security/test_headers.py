"""Security headers on every response; one CSP with per-response nonces."""
from __future__ import annotations

import re

from account_test_fixtures import make_staff, sign_up, staff_login

COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
          "Referrer-Policy": "strict-origin-when-cross-origin", "Cross-Origin-Opener-Policy": "same-origin",
          "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}


def _nonce(policy: str) -> str:
    return re.search(r"'nonce-([^']+)'", policy).group(1)


async def test_every_kind_of_response_has_the_headers(sqlite_shop):
    await make_staff("owner@example.test")
    client = sqlite_shop.test_client()
    staff = sqlite_shop.test_client()
    await staff_login(staff, "owner@example.test")
    for who, path in ((client, "/"), (client, "/account/login"), (client, "/api/v1/products"), (client, "/nope"),
                      (client, "/api/v1/nope"), (client, "/healthz"), (client, "/admin/login"), (staff, "/admin"),
                      (staff, "/admin/account/2fa"), (client, "/api/v1/admin/plugins")):
        response = await who.get(path)
        for name, value in COMMON.items():
            assert response.headers.get(name) == value, (path, name)
        policy = response.headers.get("Content-Security-Policy", "")
        assert policy, path
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy, path
        if response.mimetype != "text/html":
            assert policy.startswith("default-src 'none'"), path
        assert "Strict-Transport-Security" not in response.headers, "only over HTTPS"


async def test_account_and_admin_pages_carry_a_fresh_nonce(sqlite_shop):
    await make_staff("owner@example.test")
    client = await sign_up(sqlite_shop, "shopper@example.test")
    first = await client.get("/account")
    second = await client.get("/account")
    nonce = _nonce(first.headers["Content-Security-Policy"])
    assert nonce != _nonce(second.headers["Content-Security-Policy"])
    assert f'nonce="{nonce}"' in await first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "private, no-store"
    staff = sqlite_shop.test_client()
    await staff_login(staff, "owner@example.test")
    page = await staff.get("/admin")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert f'<style nonce="{_nonce(policy)}">' in await page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"


async def test_hsts_over_https(sqlite_shop):
    response = await sqlite_shop.test_client().get("/", scheme="https")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
