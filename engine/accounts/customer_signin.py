"""Shopper sign-in and password-reset requests, throttled.

The caller (the storefront's account pages) gives the running shop and the
client's IP address as plain arguments and keeps the session. The limits are
the ``[security]`` settings, the clock ``runtime.clock``
(:mod:`engine.security.throttle`).

- :func:`sign_in`: attempts are counted per account (``customer:<email>``)
  and per IP address *before* the password is checked (a reservation), so
  concurrent attempts cannot get past the limit; a refused attempt raises
  :class:`~engine.security.throttle.Throttled` without checking the
  password, a wrong one raises :class:`SignInFailed` (logged as
  ``auth.login_failed``; the attempt stays counted), a right one clears the
  account's count and gives the address's back.
- :func:`request_password_reset`: every request counts (per address asked
  for and per IP address, apart from sign-in failures), so reset links
  cannot be asked for in a loop; a refused request raises ``Throttled``.
"""
from __future__ import annotations

import structlog

from engine.accounts import customers
from engine.security import throttle
from engine.security.throttle import Throttled

__all__ = ["SignInFailed", "Throttled", "sign_in", "request_password_reset"]

log = structlog.get_logger("shopwright.accounts")


class SignInFailed(Exception):
    """A wrong e-mail address or password (the answer never says which)."""


def _policy(runtime) -> throttle.Policy:
    return throttle.Policy.from_settings(runtime.settings.security, clock=runtime.clock)


async def sign_in(runtime, email: str, password: str, *, ip: str) -> dict:
    """The active customer whose ``password`` this is (see the module's
    throttling rules); raises :class:`Throttled` or :class:`SignInFailed`."""
    email = (email or "").strip().lower()[:320]
    keys = (throttle.account_key("customer", email), throttle.ip_key(ip))
    counts = await throttle.reserve(_policy(runtime), *keys)
    customer = await customers.authenticate(email, password)  # an error leaves the attempt counted
    if customer is None:
        log.warning("auth.login_failed", realm="customer", account=email, ip=ip, failures=counts.get(keys[0]))
        raise SignInFailed()
    await throttle.succeeded(*keys)
    return customer


async def request_password_reset(runtime, email: str, *, ip: str) -> None:
    """E-mail a reset link when an account uses ``email`` (the same outcome
    either way, so nobody learns which addresses have accounts); raises
    :class:`Throttled` when too many links were asked for."""
    email = (email or "").strip().lower()[:320]
    keys = (throttle.account_key("reset", email), throttle.ip_key("reset:" + ip))
    await throttle.reserve(_policy(runtime), *keys)  # every request counts: no links asked for in a loop
    await customers.request_password_reset(runtime, email)
