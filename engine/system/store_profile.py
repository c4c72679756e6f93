"""The store's profile as the merchant edits it in the admin (name, base URL,
countries shipped to, the e-mail sender, the store's address and whether
catalog prices include tax), stored as one site setting and laid over the
configuration file's values in every process.

The file (``config/shopwright.toml``, ``SHOPWRIGHT_*``) gives the defaults;
once the merchant saves the profile, its values win. :func:`save` writes the
setting (which moves the ``site`` change counter); :func:`refresh` reads it
and assigns the values onto the process's live :class:`engine.settings.Settings`
— web processes follow the ``site`` counter before each request, and every
runtime (web and job worker) refreshes with its plugin-state poll — so a
change reaches every process without a restart.

The currency and the locale are not part of the profile: catalog prices,
orders and promotions are stored in the shop's currency, so it is set in the
configuration file before the first sale.
"""
from __future__ import annotations

from typing import Any, Mapping

from pydantic import ValidationError

from engine.addresses import valid_email
from engine.settings import Settings, StoreSettings
from engine.system import site_settings

KEY = "store.profile"
#: profile field -> (settings section, attribute); ``address`` lives only here.
APPLIED = {"name": ("store", "name"), "base_url": ("store", "base_url"), "countries": ("store", "countries"),
           "email_sender": ("mail", "from_address"), "prices_include_tax": ("checkout", "prices_include_tax")}
FIELDS = (*APPLIED, "address")
MAX_ADDRESS = 1000


class ProfileInvalid(ValueError):
    """``errors`` maps each profile field to its message; nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("The store settings are not valid.")
        self.errors = errors


def current(settings: Settings, stored: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The profile in effect: the live settings' values plus the stored address."""
    profile = {field: getattr(getattr(settings, section), name) for field, (section, name) in APPLIED.items()}
    profile["countries"] = list(profile["countries"])
    profile["address"] = str((stored or {}).get("address", ""))
    return profile


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """The profile ``values`` checked by the settings' own rules (the file
    accepts the same); :class:`ProfileInvalid` naming the fields."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    name = " ".join(str(values.get("name", "")).split())
    if not name or len(name) > 100:
        errors["name"] = "Enter the store's name (at most 100 characters)."
    clean["name"] = name
    base_url = str(values.get("base_url", "")).strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")) or len(base_url) > 300 or " " in base_url:
        errors["base_url"] = "Enter the address shoppers use, starting with https://."
    clean["base_url"] = base_url
    try:
        clean["countries"] = StoreSettings(countries=values.get("countries") or []).countries
    except ValidationError as exc:
        errors["countries"] = exc.errors()[0]["msg"].removeprefix("Value error, ")
    sender = str(values.get("email_sender", "")).strip()
    if not valid_email(sender):
        errors["email_sender"] = "Enter an e-mail address, like shop@example.com."
    clean["email_sender"] = sender
    address = str(values.get("address", "")).replace("\r\n", "\n").strip()
    if len(address) > MAX_ADDRESS:
        errors["address"] = f"At most {MAX_ADDRESS} characters."
    clean["address"] = address
    clean["prices_include_tax"] = bool(values.get("prices_include_tax"))
    if errors:
        raise ProfileInvalid(errors)
    return clean


def apply(settings: Settings, profile: Mapping[str, Any]) -> None:
    """Assign the stored profile onto the live settings of this process."""
    for field, (section, name) in APPLIED.items():
        if field in profile:
            setattr(getattr(settings, section), name, profile[field])


async def stored() -> dict[str, Any]:
    """The saved profile (``{}`` before the merchant saved one)."""
    value = await site_settings.read(KEY, {})
    return value if isinstance(value, dict) else {}


async def refresh(settings: Settings) -> None:
    """Bring this process's settings up to the saved profile."""
    apply(settings, await stored())


async def save(settings: Settings, values: Mapping[str, Any]) -> list[str]:
    """Validate and store the profile, apply it to this process and return
    the fields that changed (for the audit entry; never their values)."""
    clean = validate(values)
    before = current(settings, await stored())
    await site_settings.write(KEY, clean)
    apply(settings, clean)
    return sorted(field for field in FIELDS if before.get(field) != clean.get(field))
