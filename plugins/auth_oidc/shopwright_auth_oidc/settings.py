"""Settings of the ``auth_oidc`` plugin."""
from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from engine import secret


class OidcSettings(BaseModel):
    """``issuer`` is the provider's issuer URL (its discovery document is at
    ``<issuer>/.well-known/openid-configuration``); the client is registered
    there with the redirect URI ``<store.base_url>/account/login/oidc/callback``."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = secret("")
    title: str = "Sign in with single sign-on"
    scopes: str = "openid email profile"
    timeout_seconds: float = Field(10.0, gt=0, le=60)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: str) -> str:
        scopes = value.split()
        if "openid" not in scopes:
            raise ValueError("must include openid")
        return " ".join(scopes)

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id)
