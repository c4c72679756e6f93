"""Admin hooks: permissions and menu entries."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request")
def admin_permissions():
    """Permissions this plugin introduces.

    Collect-all; may be async; request hook (fast, no network): called when
    permissions are listed or checked. Returns a list of
    :class:`engine.protocols.Permission`. Codes are ``<area>:<action>``; a
    code declared by two plugins is a HookError. Fails closed: a plugin that
    raises or answers something else fails the permission check with an
    error naming it.
    """


@spec("collect", "request", on_failure="skip")
def admin_menu_items(actor):
    """Entries for the admin navigation visible to ``actor``.

    Collect-all; may be async; request hook (called while rendering admin
    pages: fast, no network). Returns a list of
    :class:`engine.protocols.AdminMenuItem`; the core hides items whose
    permission the actor lacks. A plugin that fails adds no entries (logged,
    shown to staff).
    """


@spec("collect", "request", implementation="sync", on_failure="skip")
def admin_pages():
    """Admin pages this plugin adds.

    Collect-all; sync; request hook (fast, no I/O: build the list only),
    called for every admin page rendered (for the menu) and every request
    under ``/admin/plugins/``. Returns a list of
    :class:`engine.protocols.AdminPage`, each served by the core at
    ``/admin/plugins/<plugin>/<path>`` (GET and POST) for the plugin's
    active time only: a page of a disabled plugin answers 404, an enabled
    plugin's pages appear without a restart. Every request needs a signed-in
    staff member (else a redirect to ``/admin/login``) holding the page's
    ``permission`` (``post_permission`` for a POST; else 403); a POST needs
    the form's CSRF token (else 403, before the view runs). The view's
    :class:`~engine.protocols.AdminResponse` is rendered inside the admin
    layout with autoescape, and pages with ``menu`` get an entry in the
    admin navigation for staff who hold the permission. A page with a bad or
    duplicate path is left out with a warning. Example::

        from engine import hookimpl, sdk

        async def status(request: sdk.AdminRequest) -> sdk.AdminResponse:
            if request.method == "POST":
                await sdk.enqueue(request.runtime, "erp_sync.pull", job_id="erp:pull")
                return sdk.redirect_admin("/admin/plugins/erp_sync/status")
            return sdk.render_admin("erp_sync/status.html", runs=await last_runs(request.runtime))

        @hookimpl
        def admin_pages():
            return [sdk.AdminPage("status", "ERP sync", "erp:read", status, post_permission="erp:write")]
    """
