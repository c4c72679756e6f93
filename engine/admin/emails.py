"""E-mail templates, ``/admin/emails`` (``plugins:write``): each order e-mail
previewed as the active theme renders it (subject, HTML and text, for a
made-up order), and a test message sent over the shop's SMTP settings.

The HTML is served on its own path (``/admin/emails/<name>/preview.html``)
for a sandboxed iframe, under a policy that allows the inline styles e-mails
use and nothing else. Rendering and sending are
:mod:`engine.orders.email_preview`'s; a test message is audited
(``email.test``, with the address).
"""
from __future__ import annotations

from quart import Blueprint, Response, current_app, g

from engine.addresses import valid_email
from engine.admin.access import staff_page
from engine.admin.common import form_fields
from engine.admin.rendering import render_admin
from engine.orders import email_preview
from engine.web.audit import record

blueprint = Blueprint("admin_emails", __name__)

PERMISSION = "plugins:write"
LINK = "/admin/emails"
#: what the previewed HTML may do: show itself with its inline styles and images
PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
                  "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def _names() -> list[str]:
    return sorted(email_preview.TEMPLATE_EVENTS)


async def _not_found():
    return await render_admin("admin/message.html", status=404, title="Not found", message="There is no such e-mail.",
                              link=LINK)


@blueprint.get("/admin/emails")
@staff_page(PERMISSION)
async def email_list():
    return await render_admin("admin/emails.html", names=_names(), events=email_preview.TEMPLATE_EVENTS)


async def _failed(name: str, exc: Exception):
    return await render_admin("admin/message.html", status=500, title="Preview failed",
                              message=f"The templates of {name!r} failed for the sample order: {exc}", link=LINK)


async def _page(name: str, status: int = 200, **context):
    try:
        subject, text, _ = await email_preview.preview(current_app.runtime, name)
    except email_preview.PreviewFailed as exc:
        return await _failed(name, exc)
    return await render_admin("admin/email.html", status=status, name=name, event=email_preview.TEMPLATE_EVENTS[name],
                              subject=subject, text=text, recipient=context.pop("recipient", g.actor.get("email")),
                              can_send=bool(current_app.settings.mail.smtp_host), **context)


@blueprint.get("/admin/emails/<name>")
@staff_page(PERMISSION)
async def email_detail(name: str):
    if name not in email_preview.TEMPLATE_EVENTS:
        return await _not_found()
    return await _page(name)


@blueprint.get("/admin/emails/<name>/preview.html")
@staff_page(PERMISSION)
async def email_html(name: str):
    if name not in email_preview.TEMPLATE_EVENTS:
        return await _not_found()
    try:
        _, _, html = await email_preview.preview(current_app.runtime, name)
    except email_preview.PreviewFailed as exc:
        return await _failed(name, exc)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/admin/emails/<name>/test")
@staff_page(PERMISSION)
async def email_test(name: str):
    if name not in email_preview.TEMPLATE_EVENTS:
        return await _not_found()
    recipient = str((await form_fields()).get("to", "")).strip()[:320]
    if not valid_email(recipient):
        return await _page(name, 422, recipient=recipient, error="Enter an e-mail address such as you@example.com.")
    try:
        await email_preview.send_test(current_app.runtime, name, recipient)
    except email_preview.MailNotConfigured as exc:
        return await _page(name, 409, recipient=recipient, error=str(exc))
    except email_preview.MailNotSent as exc:
        return await _page(name, 502, recipient=recipient, error=str(exc))
    except email_preview.PreviewFailed as exc:
        return await _failed(name, exc)
    await record("email.test", f"template={name}", {"to": recipient})
    return await _page(name, recipient=recipient, sent=recipient)
