"""Engine settings: ``config/shopwright.toml`` overridden by ``SHOPWRIGHT_*`` variables.

Precedence (highest first): keyword overrides passed to :func:`load_settings`,
environment variables, the TOML file named by ``SHOPWRIGHT_CONFIG`` (or
``config/shopwright.toml`` in the working directory when it exists), defaults.

A nested TOML key ``[jobs] max_tries = 5`` is overridden by
``SHOPWRIGHT_JOBS__MAX_TRIES``; top-level keys by ``SHOPWRIGHT_<KEY>``.
An invalid value raises :class:`SettingsError` whose message is one line that
names the setting.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.money import is_currency

ENV_PREFIX = "SHOPWRIGHT_"
DEFAULT_CONFIG_PATH = Path("config/shopwright.toml")


class SettingsError(Exception):
    """A setting is missing or invalid; ``str(exc)`` is a one-line explanation."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobsSettings(_Section):
    max_tries: int = Field(5, ge=1, le=100)
    retry_backoff_seconds: float = Field(2.0, ge=0)
    job_timeout_seconds: int = Field(300, ge=1)
    keep_result_seconds: int = Field(3600, ge=0)
    relay_interval_seconds: float = Field(1.0, gt=0)
    queue_name: str = "shopwright:queue"
    #: ``shopwright worker``: how long running jobs may finish after SIGTERM before they are handed back
    shutdown_grace_seconds: float = Field(30.0, ge=0)
    #: ``shopwright worker``: the longest wait between attempts to reach Redis again
    reconnect_max_seconds: float = Field(30.0, gt=0, le=600)
    #: ``shopwright worker``: serve /healthz and /readyz on this port (0: no health endpoint)
    worker_health_port: int = Field(0, ge=0, le=65535)
    worker_health_host: str = "127.0.0.1"


class PluginsSettings(_Section):
    refresh_interval_seconds: float = Field(1.0, gt=0, le=2.0)
    hook_deadline_seconds: float = Field(2.0, gt=0)
    disabled_defaults: list[str] = Field(default_factory=list)
    #: consecutive failures of one plugin's request hook that open its circuit (0: never)
    breaker_failures: int = Field(5, ge=0)
    #: how long an open circuit leaves the plugin out before it is tried again
    breaker_cooldown_seconds: float = Field(30.0, gt=0)
    #: a plugin's latest hook failure is stored at most this often (per process and plugin)
    failure_record_interval_seconds: float = Field(5.0, ge=0)
    #: threads that run plugins' plain-def request hooks off the event loop
    hook_threads: int = Field(8, ge=1, le=64)


class StoreSettings(_Section):
    name: str = "Shopwright demo store"
    #: the home page's meta description (empty: the store's name and top categories)
    description: str = Field("", max_length=300)
    currency: str = "EUR"
    locale: str = "en"
    base_url: str = "http://127.0.0.1:8000"
    #: ISO 3166-1 alpha-2 codes of the countries the shop ships to; empty: every country
    countries: list[str] = Field(default_factory=list)

    @field_validator("countries", mode="before")
    @classmethod
    def _iso_countries(cls, value: Any) -> list[str]:
        import pycountry

        if isinstance(value, str):  # SHOPWRIGHT_STORE__COUNTRIES="DE,AT CH"
            value = value.replace(",", " ").split()
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise ValueError("must be a list of ISO 3166-1 alpha-2 country codes")
        codes = [code.strip().upper() for code in value]
        unknown = [code for code in codes if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None]
        if unknown:
            raise ValueError(f"not ISO 3166-1 alpha-2 country codes: {', '.join(unknown)}")
        return list(dict.fromkeys(codes))

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if not is_currency(value.upper()):
            raise ValueError("must be an ISO 4217 currency code, e.g. EUR")
        return value.upper()


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "console"] = "console"


class CheckoutSettings(_Section):
    reservation_minutes: int = Field(1440, ge=1, le=60 * 24 * 60)
    prices_include_tax: bool = False
    max_line_quantity: int = Field(999, ge=1, le=1_000_000)
    order_number_start: int = Field(1000, ge=0, le=10**15)
    #: put before every new order number (e.g. "SW-" gives "SW-1001"): capital letters, digits
    #: and hyphens, up to 12; existing orders keep their numbers
    order_number_prefix: str = Field("", pattern=r"^([A-Z0-9][A-Z0-9-]{0,11})?$")
    payment_timeout_seconds: float = Field(30.0, gt=0)
    #: how long a shipping quote without its own ``expires_at`` is kept with the checkout
    quote_ttl_seconds: int = Field(900, ge=0, le=86400)


class FulfillmentSettings(_Section):
    #: the warehouse a shipment comes from when staff name none: ``priority`` (the
    #: default warehouse, then the others in the order they were made) or
    #: ``most_stock`` (the one holding most of the shipment's units)
    allocation: Literal["priority", "most_stock"] = "priority"
    #: days after an order's last shipment in which the shopper may ask for a return (0: no returns)
    return_window_days: int = Field(30, ge=0, le=3650)


class MailSettings(_Section):
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    starttls: bool = False
    use_tls: bool = False
    from_address: str = "shop@example.com"
    timeout_seconds: float = Field(10.0, gt=0)


class SecuritySettings(_Section):
    """Sessions, cookies, login throttling and account e-mail links (see docs/security.md)."""

    session_idle_minutes: int = Field(10080, ge=1)
    session_absolute_hours: int = Field(720, ge=1)
    staff_session_idle_minutes: int = Field(30, ge=1)
    staff_session_absolute_hours: int = Field(12, ge=1)
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    session_store: Literal["auto", "database", "redis"] = "auto"
    require_staff_2fa: bool = False
    login_max_failures: int = Field(10, ge=1, le=1000)
    login_ip_max_failures: int = Field(50, ge=1, le=100000)
    login_window_minutes: int = Field(15, ge=1)
    login_lockout_seconds: int = Field(30, ge=1)
    login_max_lockout_minutes: int = Field(60, ge=1)
    password_reset_minutes: int = Field(60, ge=5, le=60 * 24)
    email_verification_hours: int = Field(48, ge=1, le=24 * 30)
    trusted_proxies: int = Field(0, ge=0, le=10)
    hsts_seconds: int = Field(31536000, ge=0)


class ApiSettings(_Section):
    """The JSON API: CORS for headless storefronts and rate limits (see docs/api.md)."""

    cors_origins: list[str] = Field(default_factory=list)
    cors_max_age_seconds: int = Field(600, ge=0, le=86400)
    rate_limit_per_ip: int = Field(12000, ge=0)
    rate_limit_per_token: int = Field(12000, ge=0)
    rate_limit_window_seconds: float = Field(60.0, gt=0, le=86400)

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            value = value.strip().rstrip("/")
            if value != "*" and not value.startswith(("http://", "https://")):
                raise ValueError(f"{value!r} is not an origin (scheme://host[:port]) or '*'")
            cleaned.append(value)
        return cleaned


class OpsSettings(_Section):
    """Operations endpoints (see docs/deploy.md, "Metrics").

    ``GET /metrics`` answers a request that shows ``metrics_token`` as a
    bearer token (``Authorization: Bearer <token>``; empty: no token works),
    or one whose connection and every ``X-Forwarded-For`` hop come from
    ``metrics_networks`` (default: loopback only). Everyone else gets 401
    (a token is set) or 403."""

    metrics_token: str = ""
    metrics_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"], max_length=100)

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str) -> str:
        if value and (len(value) < 16 or len(value) > 512 or not all("!" <= char <= "~" for char in value)):
            raise ValueError("must be empty or 16 to 512 visible ASCII characters (no spaces)")
        return value

    @field_validator("metrics_networks")
    @classmethod
    def _metrics_networks(cls, values: list[str]) -> list[str]:
        import ipaddress

        cleaned = []
        for value in values:
            try:
                cleaned.append(str(ipaddress.ip_network(value.strip(), strict=False)))
            except ValueError:
                raise ValueError(f"{value!r} is not an IP network (e.g. 10.0.0.0/8 or ::1/128)") from None
        return cleaned


class WebhooksSettings(_Section):
    """Outgoing webhooks (see docs/webhooks.md)."""

    timeout_seconds: float = Field(10.0, gt=0, le=60)
    retry_base_seconds: float = Field(30.0, gt=0)
    retry_max_delay_seconds: float = Field(14400.0, gt=0)
    retry_for_seconds: float = Field(86400.0, gt=0)
    pause_after_failures: int = Field(10, ge=1)
    order_wait_seconds: float = Field(300.0, ge=0)
    rotation_overlap_seconds: int = Field(86400, ge=0, le=30 * 86400)
    block_private_networks: bool = False
    retention_days: int = Field(30, ge=1, le=3650)


class TracingSettings(_Section):
    """OpenTelemetry traces (``engine.tracing``; docs/deploy.md, "Tracing"). Off by default,
    and then free: no span is made and OpenTelemetry is not even imported."""

    enabled: bool = False
    #: OTLP/HTTP traces endpoint of a collector; empty: spans are made but not exported
    otlp_endpoint: str = Field("http://127.0.0.1:4318/v1/traces", max_length=2000)
    service_name: str = Field("shopwright", min_length=1, max_length=200)
    #: share of new traces recorded (a trace continued from an incoming ``traceparent`` follows its parent)
    sample_ratio: float = Field(1.0, ge=0.0, le=1.0)
    #: keep the client's IP address and user agent on request spans (personal data: off by default)
    record_client_address: bool = False


class DatabaseSettings(_Section):
    """Connection pools and SQLite tuning (see docs/performance.md)."""

    pool_min_size: int = Field(1, ge=0, le=100)
    pool_max_size: int = Field(10, ge=1, le=500)
    pool_reset_session: bool = False
    statement_cache_size: int = Field(20, ge=0, le=10_000)
    close_timeout_seconds: float = Field(10.0, gt=0, le=600)
    sqlite_pool_size: int = Field(4, ge=1, le=64)
    sqlite_inline_read_ms: float = Field(2.0, ge=0, le=100)
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "NORMAL"
    sqlite_cache_mb: int = Field(16, ge=1, le=4096)
    sqlite_mmap_mb: int = Field(0, ge=0, le=65536)
    #: PostgreSQL streaming replicas that serve shoppers' browsing reads (see docs/performance.md)
    read_replicas: list[str] = Field(default_factory=list)
    replica_retry_seconds: float = Field(5.0, ge=0, le=3600)


class MediaSettings(_Section):
    """Product images uploaded in the admin (see docs/catalog.md): kept in
    ``directory`` (relative to the working directory) and served at
    ``/media/catalog/``. Several servers need a shared directory."""

    directory: str = "var/media"
    max_image_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024)


class CacheSettings(_Section):
    """Response and data caching for anonymous shoppers, invalidated on change (see docs/performance.md)."""

    enabled: bool = True
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = ""
    key_prefix: str = "shopwright:cache"
    page_ttl_seconds: float = Field(300.0, gt=0)
    data_ttl_seconds: float = Field(300.0, gt=0)
    max_entries: int = Field(5000, ge=10)
    max_memory_mb: int = Field(16, ge=1)
    max_page_kb: int = Field(1024, ge=1)
    trim_interval_seconds: float = Field(30.0, ge=0, le=3600)
    check_interval_seconds: float = Field(0.0, ge=0, le=2.0)
    ignore_cookies: list[str] = Field(default_factory=list)
    fast_path: bool = True
    cart_pages: bool = True
    max_cart_pages: int = Field(1000, ge=1)
    max_cart_pages_mb: int = Field(16, ge=1)

    @field_validator("redis_url")
    @classmethod
    def _cache_redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class Settings(_Section):
    """All engine settings. See ``config/shopwright.toml`` for commented defaults."""

    database_url: str = "sqlite:///var/shopwright.sqlite"
    redis_url: str | None = None
    secret_key: str = "dev-insecure-change-me"
    debug: bool = False
    theme: str = "default"
    store: StoreSettings = Field(default_factory=StoreSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    plugins: PluginsSettings = Field(default_factory=PluginsSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    checkout: CheckoutSettings = Field(default_factory=CheckoutSettings)
    fulfillment: FulfillmentSettings = Field(default_factory=FulfillmentSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    webhooks: WebhooksSettings = Field(default_factory=WebhooksSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not (value.startswith("sqlite:///") or value.startswith(("postgresql://", "postgres://"))):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str) -> str:
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key == "dev-insecure-change-me"


def _set_path(target: dict, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise SettingsError(f"setting {'.'.join(path)}: parent is not a table")
    target[path[-1]] = value


def _env_overrides(environ: dict[str, str]) -> dict:
    overrides: dict = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key in (ENV_PREFIX + "CONFIG", ENV_PREFIX + "REQUIRE_SERVICES"):
            continue
        path = [part.lower() for part in key[len(ENV_PREFIX):].split("__")]
        value: Any = raw
        if raw.startswith(("[", "{")):
            import json

            try:
                value = json.loads(raw)
            except ValueError:
                raise SettingsError(f"{key}: not valid JSON") from None
        _set_path(overrides, path, value)
    return overrides


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "settings"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    env_name = ENV_PREFIX + "__".join(str(p) for p in first["loc"]).upper()
    return f"invalid setting {location} ({env_name}): {message}"


def load_settings(
    config_path: str | os.PathLike | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build :class:`Settings` from file, environment and explicit overrides."""
    environ = dict(os.environ if environ is None else environ)
    data: dict = {}
    path = config_path or environ.get(ENV_PREFIX + "CONFIG")
    if path is None and DEFAULT_CONFIG_PATH.exists():
        path = DEFAULT_CONFIG_PATH
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise SettingsError(f"config file {path} (SHOPWRIGHT_CONFIG) does not exist")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    data = _merge(data, _env_overrides(environ))
    data = _merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
