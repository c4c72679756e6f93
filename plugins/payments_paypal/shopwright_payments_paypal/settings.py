"""Settings of the PayPal plugin (public contract: the keys are documented).

Every field has a default so the plugin can be enabled before it is
configured; a value that is set must have the right shape. Surrounding
whitespace (a pasted newline) is stripped before validation.
"""
from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from engine import secret

_HTTP_URL = TypeAdapter(HttpUrl)


def http_url(value: str) -> str:
    """``value`` if it is an absolute http(s) URL with a host, else ValueError."""
    try:
        parsed = _HTTP_URL.validate_python(value)
    except ValidationError:
        parsed = None
    if parsed is None or not parsed.host:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value


class PayPalSettings(BaseModel):
    """REST app credentials from the PayPal developer dashboard.

    ``client_secret`` is stored encrypted. ``webhook_id`` names the webhook
    registered for this shop; PayPal's signature check needs it. ``intent``
    ``capture`` takes the money when the buyer approves, ``authorize`` only
    reserves it for a capture from the admin.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    client_id: str = Field("", description="Client ID of the PayPal REST app")
    client_secret: str = secret(description="Secret of the PayPal REST app")
    webhook_id: str = Field("", description="ID of the webhook registered for this shop")
    intent: Literal["capture", "authorize"] = Field(
        "capture", description="capture: take the money on approval; authorize: capture later from the admin"
    )
    api_base: str = Field(
        "https://api-m.sandbox.paypal.com",
        description="PayPal REST API base URL (https://api-m.paypal.com for live payments)",
    )
    brand_name: str = Field("", max_length=127,
                            description="Name shown to the buyer on PayPal's pages (empty: the PayPal account's)")
    landing_page: Literal["NO_PREFERENCE", "LOGIN", "GUEST_CHECKOUT"] = Field(
        "NO_PREFERENCE", description="The page PayPal opens with: NO_PREFERENCE, LOGIN or GUEST_CHECKOUT (card)")
    timeout_seconds: float = Field(20, gt=0, le=120, description="Deadline of each call to the PayPal API")

    @field_validator("client_id", "client_secret", "webhook_id")
    @classmethod
    def _no_whitespace(cls, value: str, info) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError(f"{info.field_name} must not contain whitespace")
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return http_url(value).rstrip("/")

    def missing(self) -> list[str]:
        """What PayPal needs before it can take payments, one line each (the
        admin's plugin page shows it; empty when usable)."""
        return [f"{name}: {PayPalSettings.model_fields[name].description}"
                for name in ("client_id", "client_secret", "webhook_id") if not getattr(self, name)]
