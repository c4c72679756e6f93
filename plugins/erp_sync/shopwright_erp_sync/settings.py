"""Settings of the ERP sync plugin (public contract: the keys are documented).

Every field has a default so the plugin can be enabled before it is
configured; a value that is set must have the right shape. ``url`` means:

- connector ``odoo``: the Odoo server's base URL (http:// or https://),
  spoken to through Odoo's JSON-RPC external API with ``db``, ``username``
  and ``password`` (an Odoo API key works as the password);
- connector ``csv``: the folder (a local path or ``file://`` URL) where CSV
  files are exchanged; ``db``, ``username`` and ``password`` are unused.
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
    ValidationInfo,
    field_validator,
)

from engine import secret

_HTTP_URL = TypeAdapter(HttpUrl)

#: the fields a merchant may let the ERP own: ``status`` is ``published``
#: while the ERP's product is active, ``draft`` (off sale) once the ERP archives it
OWNABLE_FIELDS = ("title", "description", "price", "stock", "status")


def http_url(value: str) -> str:
    """``value`` if it is an absolute http(s) URL with a host, else ValueError."""
    try:
        parsed = _HTTP_URL.validate_python(value)
    except ValidationError:
        parsed = None
    if parsed is None or not parsed.host:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value


class ErpSyncSettings(BaseModel):
    """Which ERP to talk to and how often to sync. ``password`` is stored encrypted."""

    model_config = ConfigDict(str_strip_whitespace=True)

    connector: Literal["odoo", "csv"] = Field("odoo", description="odoo: Odoo JSON-RPC; csv: CSV files in a folder")
    url: str = Field("", description="Odoo base URL, or the CSV exchange folder")
    db: str = Field("", description="Odoo database name")
    username: str = Field("", description="Odoo user login")
    password: str = secret(description="Odoo password or API key")
    interval_minutes: int = Field(15, ge=1, le=10080, description="Minutes between scheduled syncs (1 to 10080)")
    owned_fields: str = Field(", ".join(OWNABLE_FIELDS),
                              description="Fields the ERP owns, overwritten at every pull (comma-separated, any of "
                                          + ", ".join(OWNABLE_FIELDS) + "); the others are set only when a product "
                                          "is first imported")

    @field_validator("url")
    @classmethod
    def _url_fits_connector(cls, value: str, info: ValidationInfo) -> str:
        # ``connector`` is declared first, so it is validated (or missing) by now.
        connector = info.data.get("connector")
        if not value or connector is None:
            return value
        if connector == "odoo":
            return http_url(value).rstrip("/")
        if "://" in value and not value.startswith("file://"):
            raise ValueError(f"must be a folder path or file:// URL for the csv connector, got {value!r}")
        return value

    @field_validator("db", "username", "password")
    @classmethod
    def _no_line_breaks(cls, value: str, info: ValidationInfo) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError(f"{info.field_name} must be a single line")
        return value

    @field_validator("owned_fields")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        named = {name.strip().lower() for name in value.replace(" ", ",").split(",") if name.strip()}
        unknown = sorted(named - set(OWNABLE_FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}: choose from {', '.join(OWNABLE_FIELDS)}")
        return ", ".join(name for name in OWNABLE_FIELDS if name in named)

    def owns(self, field: str) -> bool:
        """Whether the ERP is the source of truth for ``field`` (one of :data:`OWNABLE_FIELDS`)."""
        return field in {name.strip() for name in self.owned_fields.split(",")}

    def missing(self) -> list[str]:
        """The settings the chosen connector still needs before it can sync,
        in declaration order (empty: ready). ``odoo`` needs ``url``, ``db``,
        ``username`` and ``password``; ``csv`` needs ``url`` (the folder)."""
        needed = ("url", "db", "username", "password") if self.connector == "odoo" else ("url",)
        return [name for name in needed if not getattr(self, name)]
