"""Login throttling: growing delays per account and per IP address, that
hold when many attempts arrive at the same moment, and lockouts that last
what docs/security.md says (stepped through with a clock, not sleeps)."""
from __future__ import annotations

import asyncio

import pyotp
from account_test_fixtures import (PASSWORD, STAFF_PASSWORD, Clock, login, make_staff, page_token, post_form,
                                   sign_up, staff_login)

from engine.accounts import two_factor
from engine.db.sql import fetch, fetchval

#: attempts sent at once in the concurrency tests
RUSH = 40


async def test_the_11th_wrong_password_in_a_minute_is_refused(shop, caplog):
    await sign_up(shop, "target@example.test")
    attacker = shop.test_client()
    statuses = []
    for attempt in range(11):
        response = await login(attacker, "target@example.test", f"wrong password {attempt:03d}")
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    last = response
    retry_after = int(last.headers["Retry-After"])
    assert 1 <= retry_after <= 30
    assert "Too many failed sign-in attempts" in await last.get_data(as_text=True)
    # while the delay runs even the right password is refused (it is not even checked)
    right = await login(shop.test_client(), "target@example.test", PASSWORD)
    assert right.status_code == 429
    # the delay grows: after it passes, one more failure doubles it
    await fetch("UPDATE login_throttle SET last_failure_at = last_failure_at - 31 WHERE key = {}",
                "customer:target@example.test")
    assert (await login(attacker, "target@example.test", "wrong again!!!")).status_code == 401
    again = await login(attacker, "target@example.test", "wrong again!!!")
    assert again.status_code == 429 and 30 < int(again.headers["Retry-After"]) <= 60
    # other accounts are not affected; a good sign-in (after the wait) clears the count
    await sign_up(shop, "bystander@example.test")
    assert (await login(shop.test_client(), "bystander@example.test")).status_code == 303
    await fetch("UPDATE login_throttle SET last_failure_at = last_failure_at - 3600 WHERE key = {}",
                "customer:target@example.test")
    assert (await login(shop.test_client(), "target@example.test", PASSWORD)).status_code == 303
    assert await fetchval("SELECT COUNT(*) FROM login_throttle WHERE key = {}", "customer:target@example.test") == 0


async def test_per_ip_limit_across_accounts(make_app):
    app = await make_app(security={"login_ip_max_failures": 5})
    client = app.test_client()
    statuses = [(await login(client, f"user{n}@example.test", "not the password")).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert await fetchval("SELECT failures FROM login_throttle WHERE key LIKE {}", "ip:%") == 5


async def test_staff_sign_in_is_throttled_and_audited(sqlite_shop):
    await make_staff("boss@example.test")
    client = sqlite_shop.test_client()
    statuses = []
    for attempt in range(11):
        response = await post_form(client, "/admin/login", {"email": "boss@example.test",
                                                             "password": f"guess number {attempt}"})
        statuses.append(response.status_code)
    assert statuses == [401] * 10 + [429] and "Retry-After" in response.headers
    actions = [row["action"] for row in await fetch("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("staff.login_failed") == 10 and actions[-1] == "staff.login_throttled"
    assert (await post_form(client, "/admin/login", {"email": "boss@example.test", "password": STAFF_PASSWORD})
            ).status_code == 429


async def _rush(client, path: str, forms: list[dict]) -> list[int]:
    """POST every form at the same moment (one CSRF token, read first); the statuses."""
    token = await page_token(client, path)
    responses = await asyncio.gather(*(client.post(path, form={**form, "csrf_token": token}) for form in forms))
    return [response.status_code for response in responses]


async def test_concurrent_wrong_passwords_of_a_shopper_are_checked_at_most_limit_times(shop, argon2_calls):
    await sign_up(shop, "target@example.test")
    argon2_calls.verifications = 0
    statuses = await _rush(shop.test_client(), "/account/login",
                           [{"email": "target@example.test", "password": f"wrong password {n:03d}"}
                            for n in range(RUSH)])
    assert sorted(statuses) == [401] * 10 + [429] * (RUSH - 10)
    assert argon2_calls.verifications == 10, "the refused attempts were never checked"
    assert await fetchval("SELECT failures FROM login_throttle WHERE key = {}", "customer:target@example.test") == 10
    # the right password is refused too while the delay runs
    assert (await login(shop.test_client(), "target@example.test", PASSWORD)).status_code == 429


async def test_concurrent_wrong_passwords_of_a_staff_member_are_checked_at_most_limit_times(shop, argon2_calls):
    await make_staff("boss@example.test")
    statuses = await _rush(shop.test_client(), "/admin/login",
                           [{"email": "boss@example.test", "password": f"guess number {n}"} for n in range(RUSH)])
    assert sorted(statuses) == [401] * 10 + [429] * (RUSH - 10)
    assert argon2_calls.verifications == 10
    actions = [row["action"] for row in await fetch("SELECT action FROM audit_log")]
    assert actions.count("staff.login_failed") == 10 and actions.count("staff.login_throttled") == RUSH - 10


async def test_concurrent_wrong_two_factor_codes_are_checked_at_most_limit_times(shop):
    staff_id = await make_staff("mfa@example.test")
    totp = pyotp.TOTP(pyotp.random_base32())
    assert await two_factor.enable_totp(staff_id, totp.secret, totp.now(), shop.settings.secret_key)
    client = shop.test_client()
    first_step = await staff_login(client, "mfa@example.test")
    assert first_step.headers["Location"] == "/admin/login/2fa"
    valid = {totp.at(shop.runtime.clock() + 30 * step) for step in range(-2, 3)}
    wrong = [code for code in (f"{n:06d}" for n in range(100000, 100000 + RUSH + 5)) if code not in valid][:RUSH]
    statuses = await _rush(client, "/admin/login/2fa", [{"code": code} for code in wrong])
    assert sorted(statuses) == [401] * 10 + [429] * (RUSH - 10)
    actions = [row["action"] for row in await fetch("SELECT action FROM audit_log")]
    assert actions.count("staff.2fa_failed") == 10, "the refused codes were never checked"


async def test_concurrent_attempts_from_one_address_are_checked_at_most_its_limit(make_app, database_url,
                                                                                 argon2_calls):
    app = await make_app(database_url=database_url, security={"login_ip_max_failures": 10})
    statuses = await _rush(app.test_client(), "/account/login",
                           [{"email": f"user{n}@example.test", "password": "not the password"} for n in range(RUSH)])
    assert sorted(statuses) == [401] * 10 + [429] * (RUSH - 10)
    assert argon2_calls.verifications == 10
    assert await fetchval("SELECT failures FROM login_throttle WHERE key LIKE {}", "ip:%") == 10
    # no account was counted for a refused attempt
    assert await fetchval("SELECT SUM(failures) FROM login_throttle WHERE key LIKE {}", "customer:%") == 10


async def test_a_good_sign_in_does_not_use_up_the_address_limit(make_app):
    app = await make_app(security={"login_ip_max_failures": 3})
    await sign_up(app, "regular@example.test")
    for _ in range(5):
        assert (await login(app.test_client(), "regular@example.test")).status_code == 303
    assert await fetchval("SELECT COALESCE(SUM(failures), 0) FROM login_throttle") == 0


async def test_the_lockout_lasts_its_full_delay_up_to_the_documented_maximum(shop):
    """Delays after the 10th failure: 30 s, doubling, at most 60 minutes —
    also long after login_window_minutes (15) have passed since the first
    failure; the count is forgotten only a quiet window after the delay."""
    clock = shop.runtime.clock = Clock()
    await sign_up(shop, "target@example.test")
    attacker = shop.test_client()

    async def attempt() -> tuple[int, int | None]:
        response = await login(attacker, "target@example.test", "still not the password")
        retry = response.headers.get("Retry-After")
        return response.status_code, int(retry) if retry else None

    for _ in range(10):
        assert await attempt() == (401, None)
    waited = 0
    for delay in (30, 60, 120, 240, 480, 960, 1920, 3600, 3600):
        assert await attempt() == (429, delay), f"after {waited} s"
        clock.advance(delay - 1)
        assert await attempt() == (429, 1), f"one second before the {delay} s delay ends"
        clock.advance(1)
        assert await attempt() == (401, None), f"the {delay} s delay has ended"
        waited += delay
    assert waited > 3 * 3600
    # one second short of a quiet window after the (60-minute) delay: still counted
    clock.advance(3600 + 15 * 60 - 1)
    assert await attempt() == (401, None)
    assert await attempt() == (429, 3600)
    # a quiet window after the delay: forgotten, ten free attempts again
    clock.advance(3600 + 15 * 60)
    for _ in range(10):
        assert await attempt() == (401, None)
    assert await attempt() == (429, 30)


async def test_failures_below_the_limit_are_counted_within_a_window_from_the_first(make_app, database_url):
    """An address shared by honest shoppers: failures spread wider than the
    window never add up to a lockout, even with good sign-ins in between."""
    app = await make_app(database_url=database_url, security={"login_ip_max_failures": 5})
    clock = app.runtime.clock = Clock()
    await sign_up(app, "regular@example.test")
    client = app.test_client()
    for n in range(4):
        assert (await login(client, f"typo{n}@example.test", "not the password")).status_code == 401
    clock.advance(10 * 60)
    assert (await login(app.test_client(), "regular@example.test")).status_code == 303
    clock.advance(5 * 60)  # 15 minutes after the first failure: a new count
    statuses = [(await login(client, f"later{n}@example.test", "not the password")).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
