"""Settings of the Razorpay plugin (public contract: the keys are documented).

Every field has a default so the plugin can be enabled before it is
configured; a value that is set must have the right shape. Surrounding
whitespace (a pasted newline) is stripped before validation.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine import secret, sdk


def http_url(value: str) -> str:
    """``value`` without a trailing slash if it is an absolute http(s) URL, else ValueError."""
    sdk.origin_of(value)
    return value.rstrip("/")


class RazorpaySettings(BaseModel):
    """API keys from the Razorpay Dashboard (Account & Settings → API Keys)
    and the secret of the webhook registered for this shop.

    ``key_secret`` and ``webhook_secret`` are stored encrypted. ``capture``
    ``automatic``: the shop captures a payment as soon as it is authorized
    (on the shopper's return or the ``payment.authorized`` webhook);
    ``manual``: it stays authorized until staff capture it.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    key_id: str = Field("", max_length=64, description="Key Id of the Razorpay API key (rzp_test_… or rzp_live_…)")
    key_secret: str = secret(max_length=128, description="Key Secret of the Razorpay API key")
    webhook_secret: str = secret(max_length=256, description="Secret of the webhook registered for this shop")
    capture: Literal["automatic", "manual"] = Field(
        "automatic", description="automatic: capture when authorized; manual: capture later from the admin")
    api_base: str = Field("https://api.razorpay.com", description="Razorpay API base URL (without /v1)")
    js_url: str = Field("https://checkout.razorpay.com/v1/checkout.js", description="URL of Razorpay's checkout.js")
    timeout_seconds: float = Field(20, gt=0, le=120, description="Deadline of each call to the Razorpay API")

    @field_validator("key_id", "key_secret", "webhook_secret")
    @classmethod
    def _no_whitespace(cls, value: str, info) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError(f"{info.field_name} must not contain whitespace")
        return value

    @field_validator("api_base", "js_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    def usable(self) -> bool:
        """Whether the API key is set (without it the plugin offers nothing)."""
        return bool(self.key_id and self.key_secret)

    def missing(self) -> list[str]:
        """What Razorpay needs before it can take payments, one line each."""
        return [f"{name}: {RazorpaySettings.model_fields[name].description}"
                for name in ("key_id", "key_secret", "webhook_secret") if not getattr(self, name)]
