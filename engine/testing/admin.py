"""Helpers for testing admin pages and admin routes (the core's and a plugin's
``admin_pages``): a test client signed in as a staff member holding given
permissions, through the real sign-in form.

    client = await staff_client(app, permissions=["erp:read"])
    page = await client.get("/admin/plugins/erp_sync/status")
    token = await form_token(client, "/admin/plugins/erp_sync/status")
    await client.post("/admin/plugins/erp_sync/status", form={"csrf_token": token, ...})
"""
from __future__ import annotations

import re
import uuid
from typing import Any, Iterable

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a staff passphrase for tests"


async def create_staff_member(app: Any, *, role: str = "owner", permissions: Iterable[str] | None = None,
                              email: str | None = None) -> str:
    """A new staff member of ``app`` with ``role`` (or a new role holding
    exactly ``permissions``) and the password :data:`PASSWORD`; returns the
    e-mail address, for signing in at ``/admin/login`` (e.g. in a browser)."""
    from engine.accounts.permissions import all_permissions
    from engine.accounts.roles import save_role
    from engine.accounts.staff import create_staff

    if permissions is not None:
        known = list(await all_permissions(app.runtime))
        role = await save_role(f"test-{uuid.uuid4().hex[:8]}", list(permissions), known=known)
    email = email or f"staff-{uuid.uuid4().hex[:8]}@example.test"
    await create_staff(email, PASSWORD, role)
    return email


async def staff_client(app: Any, *, role: str = "owner", permissions: Iterable[str] | None = None,
                       email: str | None = None) -> Any:
    """A test client of ``app`` signed in at ``/admin/login`` as a new staff
    member with ``role``, or with a new role holding exactly ``permissions``
    (codes declared by active plugins through ``admin_permissions`` included)."""
    email = await create_staff_member(app, role=role, permissions=permissions, email=email)
    client = app.test_client()
    token = await form_token(client, "/admin/login")
    response = await client.post("/admin/login", form={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, f"staff sign-in failed ({response.status_code})"
    return client


async def form_token(client: Any, path: str) -> str:
    """The CSRF token of the form on the page at ``path``, as a browser reads it."""
    response = await client.get(path)
    match = _TOKEN.search(await response.get_data(as_text=True))
    assert match, f"no csrf_token field on {path} ({response.status_code})"
    return match.group(1)
