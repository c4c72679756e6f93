"""Staff roles and permissions, and the rules every staff service shares.

Roles: the built-in ``owner`` (everything), ``manager`` and ``support``, plus
custom roles stored in ``staff_roles``. A staff member's permissions are
their role's; an API token's permissions are its scopes.

The shared rules:

- **The actor.** Every service that changes staff, roles, tokens, two-factor
  or the security policy takes ``actor``: who makes the change, as a dict —
  the request's actor with its ``ip`` and ``user_agent``
  (``engine.web.audit.request_actor()``) or the command line's
  (``engine.audit.command_line_actor()``). The service writes the audit entry
  itself (:func:`record_change`), so the admin pages, the admin API and the
  CLI record the same entries. ``actor=None`` is for setup code acting for
  nobody (tests, seeding): its changes are made but not recorded.
- **Nobody grants what they do not hold** (:func:`ensure_may_grant`): a role,
  a staff member's role or a token's scopes must be within the actor's own
  permissions (:func:`held_permissions`; the command line holds everything).
- **Errors** say what the caller should answer: :class:`AccountError` bad
  input (422), :class:`NotAllowed` the actor may not (403), :class:`Conflict`
  a rule of the shop stands in the way (409), :class:`NotFound` (404).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from engine import audit
from engine.accounts.tables import StaffRole, StaffUser

#: Built-in roles and the permissions they grant. "all" grants everything.
ROLES: dict[str, set[str]] = {
    "owner": {"all"},
    "manager": {"catalog:read", "catalog:write", "orders:read", "orders:write", "customers:read",
                "customers:write", "staff:read", "audit:read"},
    "support": {"catalog:read", "orders:read", "customers:read"},
}
#: Scopes an API token may carry (a token's scopes are its permissions).
SCOPES = ["catalog:read", "catalog:write", "orders:read", "orders:write", "customers:read",
          "customers:write", "plugins:write", "staff:read", "staff:write", "audit:read", "security:write",
          "settings:write", "all"]
#: The permission of admin pages every signed-in staff member may use
#: (their own account, two-factor, sign-out, the dashboard).
SELF = "staff:self"


class AccountError(ValueError):
    """Bad input: the change is refused as invalid (the message says why)."""


class NotAllowed(AccountError):
    """The actor may not make this change (it would grant what they do not hold)."""


class Conflict(AccountError):
    """A rule of the shop stands in the way (the last owner, oneself, a role still in use)."""


class NotFound(AccountError):
    """There is no such staff member, role or token."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------ actors
def held_permissions(actor: dict | None) -> set[str]:
    """What ``actor`` holds and so may hand out: a staff member's or a token's
    ``permissions``; the command line (and setup code, ``None``) holds
    everything."""
    if actor is None or actor.get("kind") == "cli":
        return {"all"}
    return set(actor.get("permissions") or ())


def grants(held: Iterable[str], permission: str) -> bool:
    held = set(held)
    return "all" in held or permission in held


def can_grant(held: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether someone holding ``held`` may hand out ``wanted``."""
    held = set(held)
    return "all" in held or set(wanted) <= held


def ensure_may_grant(actor: dict | None, wanted: Iterable[str], message: str) -> None:
    """Raise :class:`NotAllowed` (with ``message``) unless ``actor`` holds ``wanted``."""
    if not can_grant(held_permissions(actor), wanted):
        raise NotAllowed(message)


def is_self(actor: dict | None, staff_id: int) -> bool:
    """Whether ``actor`` is the staff member ``staff_id`` (not a token with that id)."""
    return bool(actor) and actor.get("kind") == "staff" and actor.get("id") == staff_id


async def record_change(actor: dict | None, action: str, target: str = "", details: dict[str, Any] | None = None,
                        ) -> None:
    """Write the audit entry of a change ``actor`` made (nothing for ``None``)."""
    if actor is not None:
        await audit.record(action, target, details, actor)


# ------------------------------------------------------------------ roles
def _split(text: str) -> set[str]:
    return {part.strip() for part in (text or "").split(",") if part.strip()}


async def custom_roles() -> dict[str, dict]:
    rows = await StaffRole.select().order_by(StaffRole.name).run()
    return {row["name"]: {**row, "permissions": _split(row["permissions"])} for row in rows}


async def all_roles() -> dict[str, set[str]]:
    """Every role, built-in then custom, with its permissions."""
    roles = {name: set(perms) for name, perms in ROLES.items()}
    for name, row in (await custom_roles()).items():
        roles[name] = row["permissions"]
    return roles


async def role_permissions(role: str) -> set[str] | None:
    """The permissions of ``role`` (None: no such role)."""
    if role in ROLES:
        return set(ROLES[role])
    row = await StaffRole.select(StaffRole.permissions).where(StaffRole.name == role).first().run()
    return _split(row["permissions"]) if row else None


async def member_to_change(actor: dict | None, staff_id: int) -> dict:
    """The staff row ``actor`` wants to change; :class:`NotAllowed` when it
    does not exist or holds permissions the actor does not."""
    row = await StaffUser.select().where(StaffUser.id == staff_id).first().run()
    if row is None:
        raise NotAllowed("There is no such staff member.")
    ensure_may_grant(actor, await role_permissions(row["role"]) or set(),
                     "You cannot change a staff member who holds permissions you do not.")
    return row


async def save_role(name: str, permissions: Iterable[str], title: str = "", known: Iterable[str] = (), *,
                    actor: dict | None = None) -> str:
    """Create or replace the custom role ``name`` (built-in names are refused)
    with ``permissions`` (each one of ``known``, the token scopes or
    :data:`SELF`, and all held by ``actor``); returns its name. Recorded as
    ``role.save``."""
    perms = sorted({p.strip() for p in permissions if p and p.strip()})
    ensure_may_grant(actor, perms, "You cannot make a role with permissions you do not hold.")
    name = (name or "").strip().lower()
    if not name or len(name) > 50 or not name.replace("_", "a").replace("-", "a").isalnum():
        raise AccountError("a role name is 1 to 50 letters, digits, - or _")
    if name in ROLES:
        raise AccountError(f"{name!r} is a built-in role and cannot be changed")
    if not perms:
        raise AccountError("a role needs at least one permission")
    known = set(known) | set(SCOPES) | {SELF}
    unknown = [p for p in perms if p not in known]
    if unknown:
        raise AccountError(f"unknown permission {unknown[0]!r}")
    existing = await StaffRole.select(StaffRole.id).where(StaffRole.name == name).first().run()
    if existing:
        await StaffRole.update({StaffRole.permissions: ",".join(perms), StaffRole.title: title.strip()[:200]}).where(
            StaffRole.name == name).run()
    else:
        await StaffRole.insert(StaffRole(name=name, title=title.strip()[:200], permissions=",".join(perms),
                                         created_at=_now())).run()
    await record_change(actor, "role.save", f"role:{name}", {"permissions": perms})
    return name


async def delete_role(name: str, *, actor: dict | None = None) -> None:
    """Delete the custom role ``name``: :class:`Conflict` for a built-in role
    or one still given to staff members, :class:`NotAllowed` when it holds
    permissions ``actor`` does not. Recorded as ``role.delete`` (also when
    there was no such role: nothing is left of it either way)."""
    perms = await role_permissions(name)
    if perms is not None:
        ensure_may_grant(actor, perms, "You cannot delete a role with permissions you do not hold.")
    if name in ROLES:
        raise Conflict(f"{name!r} is a built-in role")
    if await StaffUser.exists().where(StaffUser.role == name).run():
        raise Conflict(f"role {name!r} is still given to staff members")
    await StaffRole.delete().where(StaffRole.name == name).run()
    await record_change(actor, "role.delete", f"role:{name}")
