"""Staff: sign-in with TOTP two-factor (QR enrolment, no code twice,
single-use recovery codes), required two-factor, roles and custom roles,
admin API tokens and the audit log."""
from __future__ import annotations

import hashlib
import re
import time
from urllib.parse import urlencode

import pyotp
from account_test_fixtures import STAFF_PASSWORD, cookie_value, make_staff, page_token, post_form, staff_login

from engine.accounts import staff as staff_service
from engine.db.sql import fetch, fetchval


async def _enrol(client) -> tuple[pyotp.TOTP, list[str], str]:
    """Enable two-factor sign-in; ``(totp, recovery codes, the code used)``."""
    page = await (await client.get("/admin/account/2fa")).get_data(as_text=True)
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', page)
    secret = re.search(r'<span class="secret">([A-Z2-7]+)</span>', page).group(1)
    totp = pyotp.TOTP(secret)
    used = totp.now()
    response = await post_form(client, "/admin/account/2fa/enable", {"code": used}, token_from="/admin/account/2fa")
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</li>",
                       await response.get_data(as_text=True))
    assert len(codes) == 10
    return totp, codes, used


def _next_code(totp: pyotp.TOTP) -> str:
    return totp.at(time.time() + 30)


async def test_totp_enrolment_sign_in_no_reuse_and_recovery_codes(shop):
    await make_staff("owner@example.test")
    client = shop.test_client()
    assert (await client.get("/admin")).headers["Location"].startswith("/admin/login")
    response = await staff_login(client, "owner@example.test")
    assert response.status_code == 303 and response.headers["Location"] == "/admin"
    assert (await client.get("/admin")).status_code == 200
    totp, codes, enrolment_code = await _enrol(client)
    stored = await fetchval("SELECT totp_secret FROM staff_users WHERE email = {}", "owner@example.test")
    assert stored.startswith("enc:v1:") and totp.secret not in stored
    assert await fetchval("SELECT COUNT(*) FROM staff_recovery_codes") == 10
    assert codes[0] not in str(await fetch("SELECT code_hash FROM staff_recovery_codes"))

    second = shop.test_client()
    first_step = await staff_login(second, "owner@example.test")
    assert first_step.headers["Location"] == "/admin/login/2fa"
    assert (await second.get("/admin")).status_code == 303, "the password alone does not sign in"
    # the very code of the enrolment (totp.now() may already be the next step's code)
    replay = await post_form(second, "/admin/login/2fa", {"code": enrolment_code})
    assert replay.status_code == 401, "the code used at enrolment cannot be used again"
    before = cookie_value(second, "sw_staff")
    code = _next_code(totp)
    ok = await post_form(second, "/admin/login/2fa", {"code": code})
    assert ok.status_code == 303 and ok.headers["Location"] == "/admin"
    assert cookie_value(second, "sw_staff") != before, "the session id is rotated after the second step"
    assert (await second.get("/admin")).status_code == 200

    third = shop.test_client()
    await staff_login(third, "owner@example.test")
    assert (await post_form(third, "/admin/login/2fa", {"code": code})).status_code == 401, "no reuse in its window"
    assert (await post_form(third, "/admin/login/2fa", {"code": codes[0].upper()})).status_code == 303
    fourth = shop.test_client()
    await staff_login(fourth, "owner@example.test")
    assert (await post_form(fourth, "/admin/login/2fa", {"code": codes[0]})).status_code == 401, "single use"
    assert (await post_form(fourth, "/admin/login/2fa", {"code": codes[1]})).status_code == 303
    actions = [row["action"] for row in await fetch("SELECT action FROM audit_log ORDER BY id")]
    assert "staff.2fa_enabled" in actions and actions.count("staff.2fa_failed") == 3
    assert "staff.recovery_code_used" in actions


async def test_owner_can_require_two_factor_for_all_staff(shop):
    await make_staff("owner@example.test")
    await make_staff("manager@example.test", role="manager")
    owner = shop.test_client()
    await staff_login(owner, "owner@example.test")
    manager = shop.test_client()
    await staff_login(manager, "manager@example.test")
    assert (await manager.get("/admin/security")).status_code == 403, "only owners change the policy"
    saved = await post_form(owner, "/admin/security", {"require_staff_2fa": "1"})
    assert saved.status_code == 303
    assert await staff_service.staff_2fa_required(shop.settings)

    later = shop.test_client()
    response = await staff_login(later, "manager@example.test")
    assert response.headers["Location"] == "/admin/account/2fa"
    assert (await later.get("/admin/staff")).headers["Location"] == "/admin/account/2fa"
    token = await page_token(later, "/admin/account/2fa")
    api = await later.get("/api/v1/admin/staff", headers={"X-CSRF-Token": token})
    assert api.status_code == 403
    await _enrol(later)
    assert (await later.get("/admin/staff")).status_code == 200
    assert (await later.get("/api/v1/admin/staff")).status_code == 200
    refused = await post_form(later, "/admin/account/2fa/disable", {"password": STAFF_PASSWORD},
                              token_from="/admin/account/2fa")
    assert refused.status_code == 403


async def test_roles_custom_roles_and_no_privilege_escalation(shop):
    await make_staff("owner@example.test")
    await make_staff("manager@example.test", role="manager")
    await make_staff("support@example.test", role="support")
    support = shop.test_client()
    await staff_login(support, "support@example.test")
    assert (await support.get("/admin")).status_code == 200
    assert (await support.get("/admin/staff")).status_code == 403
    assert (await support.get("/api/v1/admin/audit")).status_code == 403

    manager = shop.test_client()
    await staff_login(manager, "manager@example.test")
    assert (await manager.get("/admin/staff")).status_code == 200
    assert (await post_form(manager, "/admin/staff", {"email": "new@example.test", "password": STAFF_PASSWORD,
                                                      "role": "owner"}, token_from="/admin/account")).status_code == 403
    assert await fetchval("SELECT COUNT(*) FROM staff_users WHERE email = 'new@example.test'") == 0

    owner = shop.test_client()
    await staff_login(owner, "owner@example.test")
    token = await page_token(owner, "/admin/roles")
    form = urlencode({"csrf_token": token, "name": "fulfilment", "title": "Packing",
                      "permissions": ["orders:read", "orders:write"]}, doseq=True)
    saved = await owner.post("/admin/roles", data=form.encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert saved.status_code == 303
    created = await post_form(owner, "/admin/staff", {"email": "packer@example.test", "password": STAFF_PASSWORD,
                                                      "role": "fulfilment"}, token_from="/admin/staff")
    assert created.status_code == 303
    packer = shop.test_client()
    await staff_login(packer, "packer@example.test")
    assert (await packer.get("/api/v1/admin/orders")).status_code == 200
    assert (await packer.get("/api/v1/admin/plugins")).status_code == 403
    packer_id = await fetchval("SELECT id FROM staff_users WHERE email = 'packer@example.test'")
    changed = await post_form(owner, f"/admin/staff/{packer_id}/role", {"role": "support"}, token_from="/admin/staff")
    assert changed.status_code == 303
    assert (await packer.get("/admin")).status_code == 303, "a role change ends the member's sessions"
    owner_id = await fetchval("SELECT id FROM staff_users WHERE email = 'owner@example.test'")
    last = await post_form(owner, f"/admin/staff/{owner_id}/role", {"role": "manager"}, token_from="/admin/staff")
    assert last.status_code == 409, "the last owner stays an owner"
    deactivated = await post_form(owner, f"/admin/staff/{packer_id}/active", {"active": "0"}, token_from="/admin/staff")
    assert deactivated.status_code == 303
    assert (await staff_login(shop.test_client(), "packer@example.test")).status_code == 401


async def test_api_tokens_shown_once_hashed_scoped_expiring_revocable(shop):
    owner_token, _ = await staff_service.create_token("root", ["all"])
    reader_token, _ = await staff_service.create_token("reader", ["staff:read", "staff:write"])
    client = shop.test_client()
    root = {"Authorization": f"Bearer {owner_token}"}
    created = await client.post("/api/v1/admin/tokens", json={"name": "deploy", "scopes": ["catalog:read"],
                                                              "expires_days": 30}, headers=root)
    assert created.status_code == 201
    body = await created.get_json()
    token = body["token"]
    assert token.startswith("swt_") and body["scopes"] == ["catalog:read"] and body["expires_at"]
    assert await fetchval("SELECT token_hash FROM api_tokens WHERE id = {}", body["id"]) == \
        hashlib.sha256(token.encode()).hexdigest()
    listing = await (await client.get("/api/v1/admin/tokens", headers=root)).get_data(as_text=True)
    assert token not in listing and body["prefix"] in listing and "token_hash" not in listing
    deploy = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/admin/tokens", headers=deploy)).status_code == 403, "scoped"
    escalate = await client.post("/api/v1/admin/tokens", json={"name": "x", "scopes": ["all"]},
                                 headers={"Authorization": f"Bearer {reader_token}"})
    assert escalate.status_code == 403
    assert (await client.delete(f"/api/v1/admin/tokens/{body['id']}", headers=root)).status_code == 204
    assert (await client.get("/api/v1/admin/tokens", headers=deploy)).status_code == 401, "revoked"
    expiring, row = await staff_service.create_token("old", ["all"], 1)
    await fetch("UPDATE api_tokens SET expires_at = created_at WHERE id = {}", row["id"])
    assert (await client.get("/api/v1/admin/staff", headers={"Authorization": f"Bearer {expiring}"})).status_code == 401


async def test_audit_log_records_who_what_when_where(shop):
    token, _ = await staff_service.create_token("ops", ["plugins:write", "audit:read", "staff:write"])
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "audit-test/1"}
    client = shop.test_client()
    assert (await client.post("/api/v1/admin/plugins/core_tax/disable", headers=headers)).status_code == 200
    assert (await client.post("/api/v1/admin/plugins/core_tax/enable", headers=headers)).status_code == 200
    missing = await client.patch("/api/v1/admin/plugins/no_such_plugin/settings", json={"x": 1}, headers=headers)
    assert missing.status_code == 404
    configured = await client.patch("/api/v1/admin/plugins/core_shipping/settings", json={"price": 590},
                                    headers=headers)
    assert configured.status_code == 200
    created = await client.post("/api/v1/admin/tokens", json={"name": "ci", "scopes": ["audit:read"]},
                                headers=headers)
    new_id = (await created.get_json())["id"]
    await client.delete(f"/api/v1/admin/tokens/{new_id}", headers=headers)
    await make_staff("owner@example.test")
    staff = shop.test_client()
    await staff_login(staff, "owner@example.test")
    await post_form(staff, "/admin/staff", {"email": "helper@example.test", "password": STAFF_PASSWORD,
                                            "role": "support"}, token_from="/admin/staff")
    entries = (await (await client.get("/api/v1/admin/audit", headers=headers)).get_json())["items"]
    actions = [entry["action"] for entry in reversed(entries)]
    assert actions == ["plugin.disable", "plugin.enable", "plugin.configure", "token.create", "token.revoke",
                       "staff.login", "staff.create"]
    configure = entries[-3]
    assert configure["target"] == "name=core_shipping" and configure["details"] == {"keys": ["price"]}
    disable = entries[-1]
    assert disable["actor"] == "token:ops" and disable["target"] == "name=core_tax"
    assert disable["user_agent"] == "audit-test/1" and disable["ip"] and disable["at"]
    assert entries[0]["actor"] == "owner@example.test" and entries[0]["details"]["email"] == "helper@example.test"
    page = await staff.get("/admin/audit")
    assert page.status_code == 200 and "plugin.disable" in await page.get_data(as_text=True)


async def test_admin_pages_record_each_change_once_as_the_signed_in_member(shop):
    await make_staff("owner@example.test")
    member = await make_staff("member@example.test", role="support")
    owner = shop.test_client()
    await staff_login(owner, "owner@example.test")
    await fetch("DELETE FROM audit_log")
    form = urlencode({"csrf_token": await page_token(owner, "/admin/roles"), "name": "packing",
                      "permissions": ["orders:read"]}, doseq=True)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await owner.post("/admin/roles", data=form.encode(), headers=headers)).status_code == 303
    steps = [(f"/admin/staff/{member}/role", {"role": "packing"}), (f"/admin/staff/{member}/active", {"active": "0"}),
             (f"/admin/staff/{member}/reset-2fa", {}), (f"/admin/staff/{member}/role", {"role": "support"}),
             ("/admin/roles/packing/delete", {}),
             ("/admin/security", {"require_staff_2fa": "1"})]
    for path, fields in steps:
        response = await post_form(owner, path, fields, token_from="/admin/account")
        assert response.status_code == 303, (path, await response.get_data(as_text=True))
    refused = await post_form(owner, "/admin/roles/owner/delete", {}, token_from="/admin/account")
    assert refused.status_code == 409
    form = urlencode({"csrf_token": await page_token(owner, "/admin/tokens"), "name": "ci",
                      "scopes": ["catalog:read"]}, doseq=True)
    assert (await owner.post("/admin/tokens", data=form.encode(), headers=headers)).status_code == 200
    token_id = await fetchval("SELECT id FROM api_tokens WHERE name = 'ci'")
    for _ in range(2):
        revoked = await post_form(owner, f"/admin/tokens/{token_id}/revoke", {}, token_from="/admin/tokens")
        assert revoked.status_code == 303
    rows = await fetch("SELECT action, actor, actor_kind, target FROM audit_log ORDER BY id")
    assert [(row["action"], row["target"]) for row in rows] == [
        ("role.save", "role:packing"), ("staff.role", f"staff:{member}"), ("staff.deactivate", f"staff:{member}"),
        ("staff.2fa_reset", f"staff:{member}"), ("staff.role", f"staff:{member}"), ("role.delete", "role:packing"),
        ("security.require_staff_2fa", ""),
        ("token.create", f"token:{token_id}"), ("token.revoke", f"token:{token_id}")]
    assert {(row["actor"], row["actor_kind"]) for row in rows} == {("owner@example.test", "staff")}
