"""Settings of the Sentry plugin: where events go and how many.

Every field has a default so the plugin can be enabled before it is
configured; without a ``dsn`` nothing is sent.
"""
from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from engine import __version__, secret


class SentrySettings(BaseModel):
    dsn: str = secret(description="Sentry DSN (https://<key>@<host>/<project>); empty: nothing is sent",
                      json_schema_extra={"needed": True})
    environment: str = Field("production", max_length=64, description="environment tag, e.g. production, staging")
    release: str = Field("", max_length=200, description=f"release tag; empty: shopwright@{__version__}")
    sample_rate: float = Field(1.0, ge=0.0, le=1.0, description="share of error events sent")
    traces_sample_rate: float = Field(0.0, ge=0.0, le=1.0,
                                      description="share of requests and jobs sent as performance traces")

    @field_validator("dsn", "environment", "release", mode="before")
    @classmethod
    def _strip(cls, value):
        return value.strip() if isinstance(value, str) else value

    @field_validator("dsn")
    @classmethod
    def _dsn(cls, value: str) -> str:
        if value:
            from sentry_sdk.utils import BadDsn, Dsn

            try:
                Dsn(value)
            except BadDsn as exc:
                raise ValueError(f"not a Sentry DSN: {exc}") from None
        return value

    def release_tag(self) -> str:
        return self.release or f"shopwright@{__version__}"
