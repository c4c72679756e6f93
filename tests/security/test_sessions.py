"""Server-side sessions: rotation on sign-in, server-side sign-out, timeouts,
cookie attributes, and the Redis store."""
from __future__ import annotations

import time

from account_test_fixtures import (PASSWORD, cookie_value, customer_id, login, page_token, post_form,
                                   sign_up)

from engine import PluginManifest, hookimpl
from engine.db.sql import fetch, fetchval
from engine.web.sessions import digest


class ElsewhereLogin:
    """A redirect login method whose provider is never reached: starting it
    stores a flow in the visitor's (pre-login) session."""

    id = "elsewhere"
    title = "Sign in elsewhere"

    async def begin(self, request, flow):
        flow["state"] = "xyz"
        return "https://login.example.test/authorize?state=xyz"

    async def complete(self, request, flow):
        raise AssertionError("never called here")


class ElsewherePlugin:
    MANIFEST = PluginManifest(name="elsewhere_login", title="Elsewhere")

    @hookimpl
    def auth_login_methods(self):
        return [ElsewhereLogin()]


async def _signed_in(client) -> bool:
    response = await client.get("/account/addresses")
    return response.status_code == 200


async def test_session_id_changes_at_sign_in_and_a_stolen_pre_login_id_is_useless(make_app, database_url):
    shop = await make_app(database_url=database_url, plugins=[ElsewherePlugin()])
    await sign_up(shop, "ada@example.test")
    victim = shop.test_client()
    # the visitor starts a sign-in elsewhere: their session is stored before they sign in
    started = await victim.get("/account/login/elsewhere")
    assert started.status_code == 303 and started.headers["Location"].startswith("https://login.example.test/")
    pre_login = cookie_value(victim, "sw_session")
    assert pre_login and pre_login.startswith("s.")
    assert await fetchval("SELECT COUNT(*) FROM sessions WHERE sid_hash = {}", digest(pre_login[2:])) == 1
    stolen = shop.test_client()
    stolen.set_cookie("localhost", "sw_session", pre_login)

    response = await login(victim, "ada@example.test")
    assert response.status_code == 303
    after = cookie_value(victim, "sw_session")
    assert after and after != pre_login and after.startswith("s.")
    assert await _signed_in(victim)
    assert not await _signed_in(stolen), "the pre-login id must not reach the signed-in session"
    # the stored session row is keyed by the hash of the id, never the id
    sid = after[2:]
    assert await fetchval("SELECT COUNT(*) FROM sessions WHERE sid_hash = {}", digest(pre_login[2:])) == 0
    assert await fetchval("SELECT COUNT(*) FROM sessions WHERE sid_hash = {}", digest(sid)) == 1
    assert await fetchval("SELECT COUNT(*) FROM sessions WHERE sid_hash = {}", sid) == 0


async def test_a_planted_stored_session_id_is_replaced_at_sign_in(shop):
    await sign_up(shop, "bob@example.test")
    attacker = shop.test_client()
    await post_form(attacker, "/account/reset", {"email": "nobody@example.test"})
    await attacker.get("/account/login")
    victim = shop.test_client()
    planted = cookie_value(attacker, "sw_session")
    victim.set_cookie("localhost", "sw_session", planted)
    assert (await login(victim, "bob@example.test")).status_code == 303
    assert cookie_value(victim, "sw_session") != planted
    assert not await _signed_in(attacker)


async def test_logout_ends_the_session_on_the_server(shop):
    client = await sign_up(shop, "carol@example.test")
    cookie = cookie_value(client, "sw_session")
    copy = shop.test_client()
    copy.set_cookie("localhost", "sw_session", cookie)
    assert await _signed_in(copy)
    response = await post_form(client, "/account/logout", {}, token_from="/account")
    assert response.status_code == 303
    assert not await _signed_in(client)
    assert not await _signed_in(copy), "a copied cookie must die with the sign-out"
    assert await fetchval("SELECT COUNT(*) FROM sessions WHERE user_id = {}", await customer_id("carol@example.test")) == 0


async def test_password_change_and_sign_out_everywhere_else_end_other_sessions(shop):
    first = await sign_up(shop, "dan@example.test")
    second = shop.test_client()
    third = shop.test_client()
    assert (await login(second, "dan@example.test")).status_code == 303
    assert (await login(third, "dan@example.test")).status_code == 303
    response = await post_form(first, "/account/sessions/end-others", {}, token_from="/account")
    assert response.status_code == 200
    assert await _signed_in(first) and not await _signed_in(second) and not await _signed_in(third)

    assert (await login(second, "dan@example.test")).status_code == 303
    before = cookie_value(first, "sw_session")
    changed = await post_form(first, "/account/password", {"current_password": PASSWORD,
                                                            "new_password": "another sturdy passphrase"})
    assert changed.status_code == 200, await changed.get_data(as_text=True)
    assert cookie_value(first, "sw_session") != before, "the session id is rotated on a password change"
    assert await _signed_in(first) and not await _signed_in(second)
    assert (await login(second, "dan@example.test")).status_code == 401
    assert (await login(second, "dan@example.test", "another sturdy passphrase")).status_code == 303


async def test_idle_and_absolute_timeouts(make_app, database_url):
    app = await make_app(database_url=database_url, security={"session_idle_minutes": 30,
                                                              "session_absolute_hours": 2})
    client = await sign_up(app, "eve@example.test")
    sid_hash = digest(cookie_value(client, "sw_session")[2:])
    assert await _signed_in(client)
    await fetch("UPDATE sessions SET last_seen_at = {} WHERE sid_hash = {}", time.time() - 31 * 60, sid_hash)
    assert not await _signed_in(client), "idle for longer than session_idle_minutes"
    assert await fetchval("SELECT COUNT(*) FROM sessions WHERE sid_hash = {}", sid_hash) == 0

    assert (await login(client, "eve@example.test")).status_code == 303
    sid_hash = digest(cookie_value(client, "sw_session")[2:])
    await fetch("UPDATE sessions SET created_at = {} WHERE sid_hash = {}", time.time() - 2 * 3600 - 5, sid_hash)
    assert not await _signed_in(client), "older than session_absolute_hours, however active"


async def test_cookie_attributes_over_http_and_https(sqlite_shop):
    client = sqlite_shop.test_client()
    response = await client.get("/account/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sw_session=a.") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie

    secure = sqlite_shop.test_client()
    response = await secure.get("/account/login", scheme="https")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-sw_session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie and "Domain" not in cookie
    token = await page_token(secure, "/account/signup", scheme="https")
    created = await secure.post("/account/signup", scheme="https", form={
        "csrf_token": token, "email": "tls@example.test", "password": PASSWORD})
    assert created.status_code == 303
    signed_in = await secure.post("/account/login", scheme="https", form={
        "csrf_token": token, "email": "tls@example.test", "password": PASSWORD})
    assert signed_in.status_code == 303
    stored = signed_in.headers["Set-Cookie"]
    assert stored.startswith("__Host-sw_session=s.") and "Secure" in stored and "Max-Age=" in stored
    assert "max-age=" in signed_in.headers.get("Strict-Transport-Security", "")


async def test_sessions_in_redis_when_configured(make_app, redis_url):
    app = await make_app(redis_url=redis_url)
    client = await sign_up(app, "redis@example.test")
    assert type(app.runtime.session_store).__name__ == "TieredStore"  # Redis, the database while it is down
    assert cookie_value(client, "sw_session").startswith("s.")
    other = app.test_client()
    assert (await login(other, "redis@example.test")).status_code == 303
    assert await _signed_in(client) and await _signed_in(other)
    assert await fetchval("SELECT COUNT(*) FROM sessions") == 0, "nothing in the database"
    await post_form(client, "/account/sessions/end-others", {}, token_from="/account")
    assert await _signed_in(client) and not await _signed_in(other)
    copy = app.test_client()
    copy.set_cookie("localhost", "sw_session", cookie_value(client, "sw_session"))
    await post_form(client, "/account/logout", {}, token_from="/account")
    assert not await _signed_in(copy)


async def test_expired_sessions_and_stale_throttle_counts_are_purged(make_app):
    from engine.accounts.jobs import purge_expired

    app = await make_app(security={"session_idle_minutes": 30})
    keep = await sign_up(app, "keep@example.test")
    gone = await sign_up(app, "gone@example.test")
    await login(app.test_client(), "gone@example.test", "wrong password here")
    await fetch("UPDATE sessions SET last_seen_at = {} WHERE user_id = {}", time.time() - 3600,
                await customer_id("gone@example.test"))
    await fetch("UPDATE login_throttle SET last_failure_at = {}", time.time() - 10 * 3600)
    assert await purge_expired({"runtime": app.runtime}) == 1
    assert await _signed_in(keep) and not await _signed_in(gone)
    assert await fetchval("SELECT COUNT(*) FROM login_throttle") == 0
    jobs = app.runtime.queue.functions
    assert "core.purge_expired_sessions" in jobs
