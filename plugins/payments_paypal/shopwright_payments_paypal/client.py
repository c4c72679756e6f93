"""PayPal REST over httpx: the OAuth2 token and JSON calls.

Contract:

- :class:`TokenCache` keeps one client-credentials token per
  ``(api_base, client_id)`` for the process and hands it out until
  ``REFRESH_MARGIN`` seconds before PayPal's ``expires_in`` runs out; a call
  answered 401 drops the token and is sent once more with a fresh one (a
  token revoked or expired early at PayPal).
- :meth:`PayPalClient.call` returns the decoded JSON (``{}`` for an empty
  body) of a 2xx answer; a 4xx answer other than 401 is :class:`PayPalRefusal`
  (PayPal said no: ``name``, ``issue`` of the first detail, ``status``);
  anything else — a connection error, a timeout, a 5xx, a 401 after a fresh
  token — is raised as it is (:class:`PayPalUnavailable` or httpx's errors):
  the outcome is unknown and the shop retries with the same request id.
- ``request_id`` becomes the ``PayPal-Request-Id`` header: PayPal answers a
  repeated id with the first result, so a retried create never creates twice.

Amounts: PayPal sends decimal strings; :func:`to_value` and :func:`to_money`
convert exactly with the currency's exponent (never through float).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Self

import httpx

from engine.money import Money, currency_exponent

#: A token is renewed this many seconds before PayPal says it expires.
REFRESH_MARGIN = 60


class PayPalRefusal(Exception):
    """PayPal answered 4xx (not 401): a definite refusal of the request."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.name = str(body.get("name") or body.get("error") or "")
        details = body.get("details") or []
        self.issue = str(details[0].get("issue") or "") if details and isinstance(details[0], Mapping) else ""
        self.message = str(body.get("message") or body.get("error_description") or "")
        super().__init__(f"PayPal refused ({status} {self.name} {self.issue}): {self.message}".strip())


class PayPalUnavailable(Exception):
    """PayPal answered 5xx or could not authenticate: the outcome is unknown."""


def to_value(amount: Money) -> dict[str, str]:
    """``amount`` as PayPal's ``{"currency_code", "value"}`` (exact decimal string)."""
    exponent = currency_exponent(amount.currency)
    return {"currency_code": amount.currency, "value": f"{amount.as_decimal():.{exponent}f}"}


def to_money(value: Mapping[str, Any] | None) -> Money | None:
    """PayPal's ``{"currency_code", "value"}`` as :class:`Money` (None when
    absent or not an exact amount in minor units)."""
    if not isinstance(value, Mapping):
        return None
    currency = value.get("currency_code")
    try:
        units = Decimal(str(value.get("value"))).scaleb(currency_exponent(str(currency)))
    except (InvalidOperation, TypeError):
        return None
    if not isinstance(currency, str) or units != units.to_integral_value():
        return None
    return Money(int(units), currency.upper())


@dataclass
class _Token:
    value: str
    expires_at: float


class TokenCache:
    """Access tokens by ``(api_base, client_id, secret)``; ``clock`` is
    ``time.monotonic`` unless a test moves it."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._tokens: dict[tuple[str, str, str], _Token] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self.fetched = 0

    def valid(self, key: tuple[str, str, str]) -> str | None:
        token = self._tokens.get(key)
        if token and self.clock() < token.expires_at - REFRESH_MARGIN:
            return token.value
        return None

    def drop(self, key: tuple[str, str, str], value: str) -> None:
        if (token := self._tokens.get(key)) and token.value == value:
            del self._tokens[key]

    async def get(self, key: tuple[str, str, str], http: httpx.AsyncClient) -> str:
        if value := self.valid(key):
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if value := self.valid(key):
                return value
            base, client_id, secret = key
            response = await http.post(f"{base}/v1/oauth2/token", auth=(client_id, secret),
                                       data={"grant_type": "client_credentials"},
                                       headers={"Accept": "application/json"})
            if response.status_code >= 500:
                raise PayPalUnavailable(f"PayPal token endpoint answered {response.status_code}")
            body = _json(response)
            if response.status_code != 200 or not body.get("access_token"):
                raise PayPalUnavailable(f"PayPal refused the client credentials ({response.status_code} "
                                        f"{body.get('error') or ''})")
            self.fetched += 1
            expires_in = int(body.get("expires_in") or 0)
            self._tokens[key] = _Token(str(body["access_token"]), self.clock() + expires_in)
            return str(body["access_token"])


#: The process's tokens (one per configured app).
TOKENS = TokenCache()


def _json(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class PayPalClient:
    """One PayPal REST app: ``async with PayPalClient(settings) as client``."""

    def __init__(self, api_base: str, client_id: str, client_secret: str, timeout: float,
                 tokens: TokenCache = TOKENS) -> None:
        if not (client_id and client_secret):
            raise PayPalUnavailable("payments_paypal has no client_id / client_secret configured")
        self.key = (api_base.rstrip("/"), client_id, client_secret)
        self.tokens = tokens
        self.http = httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def call(self, method: str, path: str, body: Mapping[str, Any] | None = None,
                   request_id: str | None = None, raw_body: bytes | None = None) -> dict[str, Any]:
        """One REST call (see the module's contract); ``raw_body`` is sent
        as it is (JSON the caller built) instead of ``body``."""
        headers = {"Accept": "application/json", "Content-Type": "application/json",
                   "Prefer": "return=representation"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        for attempt in (1, 2):
            token = await self.tokens.get(self.key, self.http)
            response = await self.http.request(
                method, f"{self.key[0]}{path}", headers={**headers, "Authorization": f"Bearer {token}"},
                content=raw_body, json=None if raw_body is not None else body)
            if response.status_code == 401 and attempt == 1:
                self.tokens.drop(self.key, token)
                continue
            break
        if 200 <= response.status_code < 300:
            return _json(response)
        if response.status_code >= 500 or response.status_code in (401, 409, 429):
            raise PayPalUnavailable(f"PayPal answered {response.status_code} to {method} {path}")
        raise PayPalRefusal(response.status_code, _json(response))
