"""Settings of the shipping rates plugin.

Every field has a default so the plugin can be enabled before it is
configured (an empty ``api_base`` means "no rate service configured"); a
value that is set must have the right shape.
"""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter, ValidationError, field_validator

from engine import secret

_HTTP_URL = TypeAdapter(HttpUrl)

# CLDR territories that are not ISO 3166-1 alpha-2 country codes.
_NOT_ISO_3166 = frozenset({
    "AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ",
})


@lru_cache(maxsize=1)
def iso_countries() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes (from CLDR, via babel)."""
    return frozenset(
        code for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166
    )


def http_url(value: str) -> str:
    """``value`` if it is an absolute http(s) URL with a host, else ValueError."""
    try:
        parsed = _HTTP_URL.validate_python(value)
    except ValidationError:
        parsed = None
    if parsed is None or not parsed.host:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value


class ShippingRatesSettings(BaseModel):
    """Where to ask for rates and how long a checkout may wait for them."""

    model_config = ConfigDict(str_strip_whitespace=True)

    api_base: str = Field("", description="Base URL of the rate service (empty: not configured)")
    api_key: str = secret(description="API key of the rate service")
    origin_country: str = Field("DE", description="Country parcels ship from (ISO 3166-1 alpha-2)")
    timeout_seconds: float = Field(
        3.0, gt=0, le=30, description="How long a checkout waits for rates before showing the other options"
    )
    #: The highest carrier rate believed, in minor units of the store currency (typed in major units).
    max_amount: int = Field(100_000, gt=0, le=10**12, json_schema_extra={"amount": True},
                            description="A carrier rate above this is taken for an error")

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return http_url(value).rstrip("/") if value else value

    @field_validator("api_key")
    @classmethod
    def _api_key(cls, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError("api_key must not contain whitespace")
        return value

    @field_validator("origin_country")
    @classmethod
    def _country(cls, value: str) -> str:
        code = value.upper()
        if code not in iso_countries():
            raise ValueError(f"must be an ISO 3166-1 alpha-2 country code such as DE, got {value!r}")
        return code
