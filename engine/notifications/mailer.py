"""Transactional e-mail: render from templates, send over SMTP (aiosmtplib).

Templates are looked up by name — ``emails/<name>.html``, ``emails/<name>.txt``
and ``emails/<name>_subject.txt`` — first through the active theme's lookup
order (merchant overrides, theme, parent themes, plugins), then in the core
fallbacks shipped in ``engine/notifications/templates``. A theme overrides an
e-mail by shipping a template of the same name. HTML templates are
autoescaped; text templates are not. Every template gets ``order`` (the
order as the API shows it), ``order_url`` (with the access token), ``store``,
``event`` (the outbox payload) and the ``money`` filter.

Sending is idempotent per (event, template): a ``mail_deliveries`` row is
written after the SMTP server accepted the message, and a re-run finds it
and sends nothing. With ``mail.smtp_host`` empty the message is only logged
(and recorded with status ``logged``).
"""
from __future__ import annotations

import time
import weakref
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Mapping

import aiosmtplib
import structlog
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from engine.db.sql import fetch, fetchone
from engine.money import Money, format_amount

log = structlog.get_logger("shopwright.mail")

FALLBACK_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The merchant overrides folder (the storefront's, see :mod:`engine.themes.state`).
OVERRIDES_DIR: Path | None = None
ENVIRONMENT_TTL_SECONDS = 30.0
_environments: "weakref.WeakKeyDictionary[Any, tuple[float, Environment]]" = weakref.WeakKeyDictionary()


def money_text(value: Any, locale: str) -> str:
    """``{"amount", "currency"}`` or Money → localised text."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        value = Money(int(value["amount"]), str(value["currency"]))
    return format_amount(value.amount, value.currency, locale)


async def environment(runtime) -> Environment:
    """The e-mail Jinja environment of ``runtime`` (rebuilt every 30 s so a
    newly activated theme or override is picked up)."""
    cached = _environments.get(runtime)
    if cached is not None and time.monotonic() - cached[0] < ENVIRONMENT_TTL_SECONDS:
        return cached[1]
    loaders = []
    try:
        from engine.themes.state import DEFAULT_OVERRIDES, ThemeState

        state = ThemeState(runtime, OVERRIDES_DIR if OVERRIDES_DIR is not None else DEFAULT_OVERRIDES)
        await state.refresh()
        loaders.append(state.view().environment.loader)
    except Exception as exc:  # no theme: the core templates still work
        log.warning("mail.theme_unavailable", error=repr(exc))
    loaders.append(FileSystemLoader(str(FALLBACK_TEMPLATES)))
    locale = runtime.settings.store.locale
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["money"] = lambda value: money_text(value, locale)
    _environments[runtime] = (time.monotonic(), env)
    return env


async def render(runtime, name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """``(subject, text, html)`` of e-mail ``name``."""
    env = await environment(runtime)
    base = {"store": runtime.settings.store, **context}
    subject = " ".join(env.get_template(f"emails/{name}_subject.txt").render(base).split())
    text = env.get_template(f"emails/{name}.txt").render(base)
    html = env.get_template(f"emails/{name}.html").render(base)
    return subject, text, html


def build_message(runtime, recipient: str, subject: str, text: str, html: str, message_id: str) -> EmailMessage:
    settings = runtime.settings
    message = EmailMessage()
    message["From"] = f"{settings.store.name} <{settings.mail.from_address}>"
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


async def send(runtime, message: EmailMessage) -> None:
    """Deliver over SMTP; raises on failure (the job retries)."""
    mail = runtime.settings.mail
    await aiosmtplib.send(
        message, hostname=mail.smtp_host, port=mail.smtp_port, username=mail.smtp_username or None,
        password=mail.smtp_password or None, start_tls=True if mail.starttls else False, use_tls=mail.use_tls,
        timeout=mail.timeout_seconds)


async def deliver(runtime, dedupe_key: str, name: str, recipient: str, context: Mapping[str, Any],
                  order_number: str = "") -> bool:
    """Render and send e-mail ``name`` once per ``dedupe_key``; False when it
    was sent before."""
    if await fetchone("SELECT id FROM mail_deliveries WHERE dedupe_key = {}", dedupe_key):
        return False
    subject, text, html = await render(runtime, name, context)
    domain = runtime.settings.mail.from_address.rpartition("@")[2] or "localhost"
    message_id = make_msgid(idstring=dedupe_key.replace(":", "."), domain=domain)
    status = "sent"
    if runtime.settings.mail.smtp_host:
        await send(runtime, build_message(runtime, recipient, subject, text, html, message_id))
    else:
        status = "logged"
        log.info("mail.not_sent", reason="mail.smtp_host is empty", to=recipient, subject=subject)
    await fetch("INSERT INTO mail_deliveries (dedupe_key, template, recipient, subject, message_id, order_number, "
                "status, error, sent_at) VALUES ({}, {}, {}, {}, {}, {}, {}, '', {}) "
                "ON CONFLICT (dedupe_key) DO NOTHING", dedupe_key, name, recipient, subject[:500], message_id,
                order_number, status, datetime.now(timezone.utc))
    log.info("mail.delivered", template=name, to=recipient, status=status, order=order_number)
    return True
