"""Changes that must end a user's sessions wait for the session store: while
Redis is down they are refused before anything is written (issue 20, item 4;
docs/deploy.md, "When Redis is down"). The storefront side is
tests/storefront/test_redis_outage.py."""
from __future__ import annotations

import asyncio
import time

import pytest
from account_test_fixtures import (
    PASSWORD,
    STAFF_PASSWORD,
    cookie_value,
    customer_id,
    make_staff,
    sign_up,
    staff_login,
)

from engine.accounts import customers, staff, two_factor
from engine.accounts.roles import ROLES, SELF
from engine.db.sql import fetchone
from engine.security.stores import SessionStoreUnavailable

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


async def test_staff_and_account_changes_are_refused_whole_while_redis_is_down(private_redis, make_app,
                                                                               database_url):
    app = await make_app(database_url=database_url, redis_url=private_redis.url)
    runtime = app.runtime
    owner_id = await make_staff("owner@example.test")
    owner = {"kind": "staff", "id": owner_id, "email": "owner@example.test", "permissions": ROLES["owner"] | {SELF},
             "ip": "203.0.113.7", "user_agent": "tests"}
    member = await staff.create_staff("member@example.test", STAFF_PASSWORD, "support", actor=owner)
    await sign_up(app, "ada@example.test")
    ada = await customer_id("ada@example.test")

    private_redis.stop()
    changes = [
        staff.set_active(runtime, member, False, actor=owner),
        staff.set_role(runtime, member, "manager", actor=owner),
        staff.change_password(runtime, owner_id, STAFF_PASSWORD, "a brand new staff passphrase", actor=owner),
        two_factor.reset_two_factor(runtime, member, actor=owner),
        customers.delete_account(runtime, ada, PASSWORD),
    ]
    for change in changes:
        with pytest.raises(SessionStoreUnavailable):
            await change
    # A staff member signs in from a browser without a (Redis) session: kept in the database.
    desk = app.test_client()
    assert (await staff_login(desk, "owner@example.test")).status_code == 303
    assert cookie_value(desk, "sw_staff").startswith("d.")
    assert (await desk.get("/admin")).status_code == 200

    row = await fetchone("SELECT role, active FROM staff_users WHERE id = {}", member)
    assert (row["role"], row["active"]) == ("support", True)
    assert await staff.verify_staff_password("owner@example.test", STAFF_PASSWORD)
    assert await fetchone("SELECT id FROM customers WHERE id = {}", ada)

    private_redis.start()
    deadline = time.monotonic() + 60
    while True:  # after a failure the store refuses at once for a moment (stores.REDIS_RETRY_AFTER_SECONDS)
        try:
            assert await staff.set_active(runtime, member, False, actor=owner) == 0
            break
        except SessionStoreUnavailable:
            assert time.monotonic() < deadline, "the session store did not come back"
            await asyncio.sleep(0.05)
    assert (await fetchone("SELECT active FROM staff_users WHERE id = {}", member))["active"] is False
