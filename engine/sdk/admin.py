"""Admin pages (``admin_pages``) and admin JSON routes of a plugin.

An :class:`AdminPage` is served at ``/admin/plugins/<plugin>/<path>`` with the
staff sign-in, the page's permission, CSRF checks on POST and the admin's
layout; its view answers with :func:`render_admin` or :func:`redirect_admin`.
Templates are the plugin's own (the manifest's ``templates`` folder, named
``"<plugin>/<file>"``), rendered with autoescape; in them ``csrf_field()``
writes the hidden CSRF input a POST form needs (``csrf_token()`` its value),
``csp_nonce()`` the nonce a ``<style>`` element needs under the admin's
Content-Security-Policy (``<style nonce="{{ csp_nonce() }}">``; inline
``style=`` attributes are blocked), and ``page``, ``plugin`` and ``actor`` are set. A view may answer a file with
:func:`download_admin`, read uploaded files from ``request.files``, and
records each change it makes with :func:`audit_admin`. A JSON route of a plugin's
blueprint (``lifecycle_blueprints``) is guarded with
:func:`require_permission`.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from engine.protocols import AdminPage, AdminRequest, AdminResponse
from engine.web import audit, guard
from engine.web.csrf import current_token, hidden_field

__all__ = ["AdminPage", "AdminRequest", "AdminResponse", "audit_admin", "csrf_field", "csrf_token",
           "download_admin", "has_permission", "redirect_admin", "render_admin", "require_permission"]

MAX_SOURCE = 100_000


def render_admin(template: str | None = None, *, source: str | None = None, status: int = 200,
                 **context: Any) -> AdminResponse:
    """The answer of an admin page's view: ``template`` (``"<plugin>/<file>"``
    in the plugin's templates) or ``source`` (a Jinja template string, at most
    100,000 characters) rendered with ``context`` inside the admin layout.
    Example::

        async def dead_letters(request: sdk.AdminRequest) -> sdk.AdminResponse:
            return sdk.render_admin(source=\"\"\"
              <table>{% for item in items %}<tr><td>{{ item.sku }}</td><td>{{ item.error }}</td></tr>{% endfor %}</table>
              <form method="post">{{ csrf_field() }}<button>Retry all</button></form>\"\"\",
              items=await failed_items(request.runtime))
    """
    if (template is None) == (source is None):
        raise ValueError("give a template or a source, not both")
    if source is not None and (not isinstance(source, str) or len(source) > MAX_SOURCE):
        raise ValueError(f"source must be a template text of at most {MAX_SOURCE} characters")
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError("status must be an HTTP status from 200 to 599")
    return AdminResponse(template=template, source=source, context=dict(context), status=status)


def redirect_admin(path: str) -> AdminResponse:
    """Send the staff member to ``path`` (under ``/admin/``) with 303 See
    Other: the answer to a POST, so reloading the page does not post again.
    Example::

        if request.method == "POST":
            await sdk.enqueue(request.runtime, "erp_sync.pull", job_id="erp:pull")
            return sdk.redirect_admin("/admin/plugins/erp_sync/status?queued=1")
    """
    if not isinstance(path, str) or not path.startswith("/admin/") or "//" in path or len(path) > 2000:
        raise ValueError("redirect to a path under /admin/")
    return AdminResponse(redirect=path)


def download_admin(data: bytes, filename: str, content_type: str = "application/octet-stream") -> AdminResponse:
    """The answer of an admin page's view that sends a file: ``data`` (at
    most 50 MB) as an attachment named ``filename`` (letters, digits, ``.``,
    ``_``, ``-``; at most 100 characters) with ``content_type`` (e.g.
    ``text/csv; charset=utf-8``), answered 200 with ``Cache-Control:
    no-store``. Example::

        if request.args.get("download"):
            return sdk.download_admin(export_csv().encode(), "rates.csv", "text/csv; charset=utf-8")
    """
    return AdminResponse(download=data, filename=filename, content_type=content_type)


async def audit_admin(request: AdminRequest, action: str, target: str = "",
                      details: Mapping[str, Any] | None = None) -> None:
    """Record a change an admin page made in the audit log (``/admin/audit``):
    ``action`` (``<plugin>.<what>``, e.g. ``shipping_rates.zone_saved``; the
    plugin's name is put in front when missing), ``target`` (what changed,
    e.g. ``zone:Germany``) and ``details`` (JSON-safe, never a secret), with
    the staff member, IP address and user agent of the request. A POST that
    records nothing itself is recorded by the core as the page's path alone.
    Only inside the page's request. Example::

        await sdk.audit_admin(request, "shipping_rates.zone_deleted", f"zone:{name}")
    """
    if not isinstance(action, str) or not action:
        raise ValueError("action must be a non-empty text")
    if not action.startswith(f"{request.plugin}."):
        action = f"{request.plugin}.{action}"
    await audit.record(action, target, dict(details or {}))


def csrf_token() -> str:
    """The CSRF token of the current request's session (the value of a POST
    form's ``csrf_token`` field, or of the ``X-CSRF-Token`` header for a
    script). Only inside a request. Example::

        html = f'<input type="hidden" name="csrf_token" value="{sdk.csrf_token()}">'
    """
    return current_token()


def csrf_field() -> str:
    """The hidden ``csrf_token`` input a POST form must carry (markup, safe in
    a template). Only inside a request. In plugin admin templates it is the
    global ``csrf_field()``. Example::

        sdk.render_admin(source="<form method='post'>{{ field }}<button>Run</button></form>", field=sdk.csrf_field())
    """
    return hidden_field()


def require_permission(permission: str) -> Callable:
    """Guard a JSON admin route of the plugin's blueprint (``lifecycle_blueprints``,
    under ``/api/v1/admin/``): 401 without valid credentials (an API token or
    the staff session), 403 without ``permission``. Declare the code with
    ``admin_permissions``; an admin route without a permission is refused to
    everybody. Example::

        @blueprint.get("/api/v1/admin/loyalty/balances")
        @sdk.require_permission("loyalty:read")
        async def balances():
            return {"items": await all_balances()}
    """
    return guard.require_permission(permission)


def has_permission(actor: Mapping[str, Any] | None, code: str) -> bool:
    """Whether ``actor`` (an :class:`AdminRequest`'s ``actor``) holds
    permission ``code`` (or ``all``). Example::

        can_retry = sdk.has_permission(request.actor, "erp:write")
    """
    if not actor:
        return False
    granted = actor.get("permissions") or ()
    return "all" in granted or code in granted
