"""Login throttling: growing delays per account and per IP address."""
from __future__ import annotations

from account_test_fixtures import PASSWORD, STAFF_PASSWORD, login, make_staff, post_form, sign_up

from engine.db.sql import fetch, fetchval


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
