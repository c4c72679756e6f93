"""Account e-mails (address verification, password reset, the notice that
someone tried to sign up with an address that has an account) over SMTP.

Asking for an e-mail writes an ``account_email`` event to the outbox, in the
same transaction as the token it carries (payload: the token's id only). The
outbox relay hands it to the job queue and the core's ``jobs_handle_event``
(``engine.defaults.core_auth``) calls :func:`send_for_token` in the worker,
which rebuilds the link from the token id, renders the templates and sends
the message through :mod:`engine.notifications.mailer` (aiosmtplib). A
token's e-mail is sent once: ``mailed_at`` is set after the SMTP server
accepted it; a re-delivered event finds it and sends nothing.

Templates ``emails/verify_email``, ``emails/password_reset`` and
``emails/signup_attempt`` (``.html``, ``.txt`` and ``_subject.txt``) are looked up through the active theme first
(so a theme overrides them), then in ``engine/accounts/templates``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Mapping

import structlog
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from engine.accounts import tokens
from engine.db.sql import fetch, fetchone

log = structlog.get_logger("shopwright.accounts")

EVENT = "account_email"
TEMPLATES = Path(__file__).resolve().parent / "templates"
LINKS = {tokens.VERIFY_EMAIL: "/account/verify?token=", tokens.RESET_PASSWORD: "/account/reset?token="}
TEMPLATE_NAMES = {tokens.VERIFY_EMAIL: "verify_email", tokens.RESET_PASSWORD: "password_reset",
                  tokens.SIGNUP_ATTEMPT: "signup_attempt"}


async def _environment(runtime) -> Environment:
    loaders = []
    try:
        from engine.notifications import mailer

        loaders.append((await mailer.environment(runtime)).loader)
    except Exception as exc:  # the account e-mails do not depend on the order e-mails
        log.warning("mail.theme_unavailable", error=repr(exc))
    loaders.append(FileSystemLoader(str(TEMPLATES)))
    return Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


async def render(runtime, name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    env = await _environment(runtime)
    base = {"store": runtime.settings.store, **context}
    subject = " ".join(env.get_template(f"emails/{name}_subject.txt").render(base).split())
    return subject, env.get_template(f"emails/{name}.txt").render(base), \
        env.get_template(f"emails/{name}.html").render(base)


async def request_email(runtime, token_row: dict) -> None:
    """Record that ``token_row``'s e-mail must be sent (call inside the
    transaction that issued the token; wake the relay after the commit)."""
    from engine.outbox import emit

    await emit(EVENT, {"token_id": token_row["id"], "purpose": token_row["purpose"]})


async def send_for_token(runtime, token_id: int) -> bool:
    """Send the e-mail of token ``token_id`` once; False when there is
    nothing to send (already sent, used, expired or gone)."""
    row = await fetchone("SELECT * FROM account_tokens WHERE id = {}", token_id)
    if row is None or row["mailed_at"] is not None or row["used_at"] is not None:
        return False
    if tokens._aware(row["expires_at"]) <= datetime.now(timezone.utc):
        return False
    customer = await fetchone("SELECT id, email, name FROM customers WHERE id = {}", row["customer"])
    if customer is None:
        return False
    settings = runtime.settings
    base = settings.store.base_url.rstrip("/")
    if row["purpose"] in LINKS:
        link = base + LINKS[row["purpose"]] + tokens.token_text(settings.secret_key, row)
    else:  # a sign-up notice carries no token: it points at the sign-in and reset pages
        link = base + "/account/login"
    name = TEMPLATE_NAMES[row["purpose"]]
    minutes = settings.security.password_reset_minutes
    hours = settings.security.email_verification_hours
    subject, text, html = await render(runtime, name, {"customer": customer, "link": link,
                                                       "reset_link": base + "/account/reset",
                                                       "expires_minutes": minutes, "expires_hours": hours})
    from engine.notifications import mailer

    if settings.mail.smtp_host:
        domain = settings.mail.from_address.rpartition("@")[2] or "localhost"
        message = mailer.build_message(runtime, row["email"], subject, text, html,
                                       make_msgid(idstring=f"account.{row['id']}", domain=domain))
        await mailer.send(runtime, message)
        status = "sent"
    else:
        status = "logged"
        log.info("mail.not_sent", reason="mail.smtp_host is empty", to=row["email"], subject=subject)
    await fetch("UPDATE account_tokens SET mailed_at = {} WHERE id = {}", datetime.now(timezone.utc), row["id"])
    log.info("mail.account_email", purpose=row["purpose"], customer=row["customer"], status=status)
    return True
