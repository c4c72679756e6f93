"""Settings of the Stripe plugin (public contract: the keys are documented).

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


def _key(value: str, prefixes: tuple[str, ...], what: str) -> str:
    if value == "":
        return value
    if any(ch.isspace() for ch in value):
        raise ValueError(f"{what} must not contain whitespace")
    if not value.startswith(prefixes):
        raise ValueError(f"{what} must start with {' or '.join(prefixes)}")
    return value


class StripeSettings(BaseModel):
    """``publishable_key`` is sent to browsers; ``secret_key`` and
    ``webhook_secret`` never leave the server and are stored encrypted."""

    model_config = ConfigDict(str_strip_whitespace=True)

    publishable_key: str = Field("", description="Publishable key (pk_test_... or pk_live_...), sent to the browser")
    secret_key: str = secret(description="Secret or restricted API key (sk_... or rk_...)")
    webhook_secret: str = secret(description="Signing secret of the webhook endpoint (whsec_...)")
    capture: Literal["automatic", "manual"] = Field(
        "automatic", description="automatic: charge at checkout; manual: authorise now, capture from the admin"
    )
    api_base: str = Field("https://api.stripe.com", description="Stripe API base URL (a sandbox or local stand-in)")
    js_url: str = Field("https://js.stripe.com/v3/", description="URL of Stripe.js loaded by the checkout page")
    card_entry: Literal["card_element", "payment_element"] = Field(
        "card_element", description="card_element: Stripe's Card Element with confirmCardPayment; "
                                    "payment_element: the Payment Element with confirmPayment")
    statement_descriptor: str = Field("", max_length=22, pattern=r"^[^<>\\'\"*]*$",
                                      description="Suffix shown on the shopper's card statement (at most 22 "
                                                  "characters, no < > \\ ' \" *); empty: the account's default")
    webhook_tolerance_seconds: int = Field(300, ge=10, le=3600,
                                           description="How old a webhook's signed timestamp may be")
    timeout_seconds: float = Field(20, gt=0, le=120, description="Deadline of each call to the Stripe API")

    @field_validator("publishable_key")
    @classmethod
    def _publishable(cls, value: str) -> str:
        # A secret key here would be published to every shopper's browser.
        return _key(value, ("pk_",), "publishable_key")

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: str) -> str:
        return _key(value, ("sk_", "rk_"), "secret_key")

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError("webhook_secret must not contain whitespace")
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return http_url(value).rstrip("/")

    @field_validator("js_url")
    @classmethod
    def _js_url(cls, value: str) -> str:
        return http_url(value)

    def missing(self) -> list[str]:
        """What Stripe needs before it can take payments, one line each (the
        admin's plugin page shows it; empty when usable)."""
        return [f"{name}: {StripeSettings.model_fields[name].description}"
                for name in ("publishable_key", "secret_key", "webhook_secret") if not getattr(self, name)]
