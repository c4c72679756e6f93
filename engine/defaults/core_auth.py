"""Core authentication: password login for shoppers and staff, admin API
bearer tokens, staff sessions, account e-mails and session housekeeping."""
from __future__ import annotations

from pathlib import Path

from engine import PluginManifest, hookimpl
from engine.accounts import jobs
from engine.accounts.staff import SELF, grants, resolve_token, role_permissions
from engine.protocols import JobDefinition, Permission

MANIFEST = PluginManifest(
    name="core_auth", title="Password login and API tokens", version="0.1.0", core=True,
    description="E-mail and password sign-in, staff two-factor, admin API tokens and account e-mails.",
    templates=Path(__file__).resolve().parent.parent / "accounts" / "templates",
)

PERMISSIONS = [
    Permission(SELF, "Use the admin: own account, two-factor, sign out (every staff member)"),
    Permission("staff:read", "View staff, roles and API tokens"),
    Permission("staff:write", "Create and change staff, roles and API tokens"),
    Permission("audit:read", "View the audit log"),
    Permission("security:write", "Change security policies (require two-factor for all staff)"),
]


class PasswordLogin:
    """The built-in e-mail + password form (no redirect)."""

    id = "password"
    title = "E-mail and password"

    async def begin(self, request) -> str | None:
        return None


@hookimpl
def auth_login_methods():
    return [PasswordLogin()]


@hookimpl
def admin_permissions():
    return PERMISSIONS


@hookimpl
async def auth_resolve_actor(request, credentials):
    token = credentials.get("bearer")
    if token:
        row = await resolve_token(token)
        if row is None:
            return None
        return {"kind": "token", "id": row["id"], "name": row["name"], "permissions": set(row["scopes"].split(","))}
    staff = credentials.get("staff_session")
    if staff:
        from engine.accounts.staff import get_staff

        row = await get_staff(staff["staff_id"])
        if row is None or not row["active"]:
            return None
        permissions = await role_permissions(row["role"]) or set()
        permissions.add(SELF)
        return {"kind": "staff", "id": row["id"], "email": row["email"], "name": row["email"], "role": row["role"],
                "permissions": permissions, "mfa": staff.get("mfa", False),
                "must_enrol": staff.get("must_enrol", False), "owner": grants(permissions, "all")}
    return None


@hookimpl
def jobs_register():
    return [
        JobDefinition(name=jobs.PURGE_JOB, func=jobs.purge_expired, max_tries=1, cron={"minute": {7, 37}}),
    ]


@hookimpl
async def jobs_handle_event(event, runtime):
    await jobs.handle_event(runtime, event)
