"""The carrier-API provider: live quotes from a carrier's HTTP rate endpoint.

Request (``POST {api_base}/rates``, ``Authorization: Bearer {api_key}``)::

    {"origin": {"country": "DE"},
     "destination": {"country": "AT", "region": "9", "postal_code": "1010"},
     "parcel": {"weight_grams": 1200},
     "declared_value": {"amount": 7500, "currency": "EUR"}}

``declared_value.amount`` is integer minor units. Answer (200, JSON)::

    {"rates": [{"id": "rt_8f2", "service": "express", "label": "Express",
                "amount": "12.90", "currency": "EUR",
                "estimated_days": [1, 2], "expires_at": "2026-12-06T21:00:00Z"}]}

``amount`` is a decimal string in major units (never a float, at most the
currency's decimals); ``estimated_days`` and ``expires_at`` are optional.
Each rate becomes the quote ``shipping_rates:carrier-<service>`` with the
carrier's rate id in ``data``. Anything else — a timeout, a non-2xx status,
a body that is not this JSON, another currency than the cart's, a negative
amount or one above ``max_amount`` — raises :class:`CarrierError`; the
checkout drops this provider with that reason and shows the other methods.
"""
from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from engine.money import Money
from engine.protocols import ShippingQuote, ShippingQuoteRequest

from shopwright_shipping_rates.rate_csv import minor_units
from shopwright_shipping_rates.settings import ShippingRatesSettings

PROVIDER_ID = "shipping_rates_carrier"
#: the most bytes of answer read from the carrier
MAX_ANSWER_BYTES = 256 * 1024

_Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,50}$")]


class CarrierError(Exception):
    """The carrier gave no usable quotes; the message says why."""


class _Rate(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    id: _Text
    service: _Code
    label: _Text
    amount: Annotated[str, StringConstraints(max_length=30)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    estimated_days: tuple[Annotated[int, Field(ge=0, le=365)], Annotated[int, Field(ge=0, le=365)]] | None = None
    expires_at: AwareDatetime | None = Field(None, strict=False)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rates: list[_Rate] = Field(max_length=50)


def rate_request(settings: ShippingRatesSettings, request: ShippingQuoteRequest) -> dict:
    """The JSON body asked of the carrier for ``request``."""
    return {"origin": {"country": settings.origin_country},
            "destination": {"country": request.country, "region": request.region,
                            "postal_code": request.postal_code},
            "parcel": {"weight_grams": request.weight_grams},
            "declared_value": {"amount": request.goods_total.amount, "currency": request.currency}}


def _quote(rate: _Rate, currency: str, max_amount: int) -> ShippingQuote:
    if rate.currency != currency:
        raise CarrierError(f"rate {rate.id!r} is in {rate.currency}, the cart in {currency}")
    try:
        amount = minor_units(rate.amount, currency, f"rate {rate.id!r} amount")
    except ValueError as exc:
        raise CarrierError(str(exc)) from None
    if amount > max_amount:
        raise CarrierError(f"rate {rate.id!r} amount {rate.amount} {currency} is above the limit of "
                           f"{Money(max_amount, currency).as_decimal()} {currency}")
    days = rate.estimated_days
    if days and days[0] > days[1]:
        raise CarrierError(f"rate {rate.id!r} estimated_days {list(days)} is not [min, max]")
    return ShippingQuote(f"{PROVIDER_ID}:{rate.service}", rate.label, Money(amount, currency), PROVIDER_ID,
                         days, rate.expires_at, {"rate_id": rate.id})


async def _read_bounded(response: httpx.Response) -> bytes:
    """The body, read no further than :data:`MAX_ANSWER_BYTES` (CarrierError past it)."""
    content = bytearray()
    async for chunk in response.aiter_bytes():
        content += chunk
        if len(content) > MAX_ANSWER_BYTES:
            raise CarrierError(f"the carrier's answer is larger than {MAX_ANSWER_BYTES} bytes")
    return bytes(content)


class CarrierRates:
    """A :class:`engine.protocols.ShippingRateProvider` asking the carrier at
    ``settings.api_base``. Its ``deadline_seconds`` is the settings'
    ``timeout_seconds`` (the checkout uses the shorter of it and the global
    hook deadline); the HTTP timeout is the same. Without a destination
    country it quotes nothing and makes no call.

    One provider keeps one ``httpx.AsyncClient`` (its connection pool, so
    quotes reuse kept-alive connections), opened on the first quote and
    closed by :meth:`aclose`; :class:`CarrierPool` keeps one provider per
    settings and event loop and closes them at shutdown."""

    id = PROVIDER_ID

    def __init__(self, settings: ShippingRatesSettings) -> None:
        self.settings = settings
        self.deadline_seconds = settings.timeout_seconds
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.settings.api_base, timeout=self.settings.timeout_seconds)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client (its pooled connections); a later quote opens a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def quotes(self, request: ShippingQuoteRequest) -> list[ShippingQuote]:
        if not request.country:
            return []
        answer = await self._ask(rate_request(self.settings, request))
        return [_quote(rate, request.currency, self.settings.max_amount) for rate in answer.rates]

    async def _ask(self, body: dict) -> _Answer:
        settings = self.settings
        headers = {"Authorization": f"Bearer {settings.api_key}", "Accept": "application/json"}
        try:
            async with self._http().stream("POST", "/rates", json=body, headers=headers) as response:
                if response.status_code != 200:
                    raise CarrierError(f"the carrier answered HTTP {response.status_code}")
                content = await _read_bounded(response)
        except httpx.TimeoutException:
            raise CarrierError(f"the carrier did not answer within {settings.timeout_seconds}s") from None
        except httpx.HTTPError as exc:
            raise CarrierError(f"the carrier could not be reached: {type(exc).__name__}") from None
        try:
            return _Answer.model_validate_json(content)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise CarrierError(f"the carrier's answer is not valid: {where}: {first['msg']}") from None


class CarrierPool:
    """The carrier providers of one process: :meth:`provider_for` hands out
    the same :class:`CarrierRates` (and so the same HTTP client) for equal
    settings on the same event loop, a new one when the settings changed;
    :meth:`aclose` closes every client (the plugin's ``lifecycle_shutdown``).
    A provider replaced by new settings is closed there too, not at once, so
    a quote still running on it finishes."""

    def __init__(self) -> None:
        self._providers: dict[str, tuple[asyncio.AbstractEventLoop, CarrierRates]] = {}
        self._retired: list[CarrierRates] = []

    def provider_for(self, settings: ShippingRatesSettings) -> CarrierRates:
        loop = asyncio.get_running_loop()
        key = settings.model_dump_json()
        kept = self._providers.get(key)
        if kept is not None and kept[0] is loop:
            return kept[1]
        if kept is not None and not kept[0].is_closed():
            self._retired.append(kept[1])
        for other_key, (other_loop, provider) in list(self._providers.items()):
            if other_loop is loop and other_key != key:  # the settings changed: retire the old provider
                self._retired.append(provider)
                del self._providers[other_key]
        provider = CarrierRates(settings)
        self._providers[key] = (loop, provider)
        return provider

    async def aclose(self) -> None:
        """Close the clients of this event loop's providers and of retired ones."""
        loop = asyncio.get_running_loop()
        closing = self._retired + [provider for key, (owner, provider) in self._providers.items() if owner is loop]
        self._retired = []
        self._providers = {key: kept for key, kept in self._providers.items() if kept[0] is not loop}
        for provider in closing:
            await provider.aclose()
