"""The staff services check their rules, end the sessions a change calls
for, and write their own audit entries with the actor they are given — so
the admin pages, the admin API and the CLI record the same entries. Setup
code that passes no actor is not recorded."""
from __future__ import annotations

import hashlib
import time

import pytest
from account_test_fixtures import STAFF_PASSWORD, make_staff

from engine import audit
from engine.accounts import api_tokens, roles, staff, staff_signin, two_factor
from engine.accounts.roles import ROLES, SELF, Conflict, NotAllowed
from engine.security.stores import SessionRecord

CLIENT = {"ip": "203.0.113.7", "user_agent": "service-tests/1"}


def _staff_actor(staff_id: int, email: str, role: str) -> dict:
    return {"kind": "staff", "id": staff_id, "email": email, "permissions": ROLES[role] | {SELF}, **CLIENT}


async def _open_session(runtime, staff_id: int, name: str) -> str:
    """A stored staff session of ``staff_id``; returns its digest."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    now = time.time()
    await runtime.session_store.save(digest, SessionRecord(data={"staff_id": staff_id}, kind="staff",
                                                           user_id=staff_id, created_at=now, last_seen_at=now), 3600)
    return digest


async def _recorded() -> list[dict]:
    return list(reversed(await audit.entries(500)))


async def test_changes_end_sessions_and_are_recorded_with_their_actor(shop):
    runtime = shop.runtime
    owner_id = await make_staff("owner@example.test")
    assert await _recorded() == [], "setup without an actor is not recorded"
    owner = _staff_actor(owner_id, "owner@example.test", "owner")

    member = await staff.create_staff(" Member@Example.test", STAFF_PASSWORD, "support", actor=owner)
    first = await _open_session(runtime, member, "first")
    await _open_session(runtime, member, "second")
    assert await staff.set_role(runtime, member, "manager", actor=owner) == 2
    assert await runtime.session_store.load(first) is None, "a role change ends the member's sessions"
    await _open_session(runtime, member, "third")
    assert await staff.set_active(runtime, member, False, actor=owner) == 1
    assert await staff.set_active(runtime, member, True, actor=owner) == 0
    await _open_session(runtime, member, "fourth")
    assert await two_factor.reset_two_factor(runtime, member, actor=owner) == 1
    await roles.save_role("Packing", ["orders:read", "orders:write"], "Packing", actor=owner)
    await roles.delete_role("packing", actor=owner)
    await two_factor.set_staff_2fa_required(True, actor=owner)
    _, token = await api_tokens.create_token("deploy", "catalog:read", 30, actor=owner)
    assert await api_tokens.revoke_token(token["id"], actor=owner)
    assert not await api_tokens.revoke_token(token["id"], actor=owner), "already revoked: nothing to record"

    rows = await _recorded()
    target = f"staff:{member}"
    assert [(row["action"], row["target"]) for row in rows] == [
        ("staff.create", target), ("staff.role", target), ("staff.deactivate", target), ("staff.activate", target),
        ("staff.2fa_reset", target), ("role.save", "role:packing"), ("role.delete", "role:packing"),
        ("security.require_staff_2fa", ""), ("token.create", f"token:{token['id']}"),
        ("token.revoke", f"token:{token['id']}")]
    for row in rows:
        assert (row["actor"], row["actor_kind"], row["actor_id"]) == ("owner@example.test", "staff", owner_id)
        assert (row["ip"], row["user_agent"]) == (CLIENT["ip"], CLIENT["user_agent"])
    details = [row["details"] for row in rows]
    assert details[0] == {"email": "member@example.test", "role": "support"}
    assert details[1] == {"email": "member@example.test", "from": "support", "to": "manager", "sessions_ended": 2}
    assert details[2] == {"email": "member@example.test", "sessions_ended": 1}
    assert details[4] == {"email": "member@example.test", "sessions_ended": 1}
    assert details[5] == {"permissions": ["orders:read", "orders:write"]}
    assert details[8] == {"name": "deploy", "scopes": ["catalog:read"], "expires_days": 30}
    assert token["created_by"] == "owner@example.test"


async def test_nobody_grants_what_they_do_not_hold_and_refusals_change_nothing(shop):
    runtime = shop.runtime
    owner_id = await make_staff("owner@example.test")
    second_id = await make_staff("second@example.test")
    manager_id = await make_staff("manager@example.test", role="manager")
    owner = _staff_actor(owner_id, "owner@example.test", "owner")
    manager = _staff_actor(manager_id, "manager@example.test", "manager")

    with pytest.raises(NotAllowed):
        await staff.create_staff("new@example.test", STAFF_PASSWORD, "owner", actor=manager)
    with pytest.raises(NotAllowed):
        await staff.set_role(runtime, owner_id, "support", actor=manager)
    with pytest.raises(NotAllowed):
        await staff.set_role(runtime, manager_id, "owner", actor=manager)
    with pytest.raises(NotAllowed):
        await api_tokens.create_token("ops", ["plugins:write"], actor=manager)
    with pytest.raises(NotAllowed):
        await roles.save_role("ops", ["plugins:write"], actor=manager)
    with pytest.raises(Conflict):
        await staff.set_active(runtime, owner_id, False, actor=owner)
    assert await staff.get_staff(owner_id) is not None and (await staff.get_staff(owner_id))["active"]
    assert await _recorded() == [], "a refused change is not recorded"

    # a token whose id happens to be a staff member's id is not that member
    token = {"kind": "token", "id": second_id, "name": "root", "permissions": {"all"}, **CLIENT}
    await staff.set_active(runtime, second_id, False, actor=token)
    with pytest.raises(Conflict):
        await staff.set_role(runtime, owner_id, "manager", actor=token)
    [entry] = await _recorded()
    assert (entry["action"], entry["actor"], entry["actor_kind"]) == ("staff.deactivate", "token:root", "token")


async def test_sign_in_is_throttled_and_recorded_with_the_client_given(shop):
    await make_staff("boss@example.test")
    # no app or request context: the service is given everything it uses
    with pytest.raises(staff_signin.SignInFailed):
        await staff_signin.check_password(shop.runtime, "boss@example.test", "a wrong guess!", **CLIENT)
    row = await staff_signin.check_password(shop.runtime, " Boss@Example.test", STAFF_PASSWORD, **CLIENT)
    assert not staff_signin.needs_second_factor(shop.runtime, row)
    must_enrol = await staff_signin.signed_in(shop.runtime, row, two_factor_used=False, **CLIENT)
    assert must_enrol is False
    failed, signed_in = await _recorded()
    assert (failed["action"], failed["actor"], failed["actor_kind"], failed["details"]) == \
        ("staff.login_failed", "boss@example.test", "", {"failures": 1})
    assert (signed_in["action"], signed_in["actor"], signed_in["actor_kind"], signed_in["details"]) == \
        ("staff.login", "boss@example.test", "staff", {"two_factor": False, "method": "password"})
    for entry in (failed, signed_in):
        assert (entry["ip"], entry["user_agent"]) == (CLIENT["ip"], CLIENT["user_agent"])
