"""Shoppers' accounts: sign-up, sign-in, e-mail verification, passwords,
the address book, order history, data export and deletion.

Every function that reads or changes a customer's data takes the customer's
id and scopes its query by it: an address or order of another customer is
"not found", never someone else's.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import structlog

from engine.accounts import passwords, tokens
from engine.accounts.tables import Customer, CustomerAddress, CustomerIdentity
from engine.cart import services as carts
from engine.db.sql import fetch
from engine.orders import customers as customer_orders
from engine.security.sessions import SHOP, end_user_sessions, ensure_reachable

log = structlog.get_logger("shopwright.accounts")

MAX_ADDRESSES = 50


class CustomerError(ValueError):
    """Bad input or a refused change; ``errors`` maps form field → message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def normalise_email(email: str) -> str:
    from engine.addresses import valid_email

    email = (email or "").strip().lower()
    if not valid_email(email):
        raise CustomerError("Enter a valid e-mail address.", {"email": "Enter a valid e-mail address."})
    return email


def _check_password(password: str, email: str, field: str = "password") -> None:
    try:
        passwords.check_policy(password, email)
    except passwords.PasswordRejected as exc:
        raise CustomerError(str(exc), {field: str(exc)}) from None


async def get_customer(customer_id: int | None) -> dict | None:
    if customer_id is None:
        return None
    return await Customer.select().where(Customer.id == customer_id).first().run()


async def find_by_email(email: str) -> dict | None:
    return await Customer.select().where(Customer.email == email.strip().lower()).first().run()


def public(row: dict) -> dict[str, Any]:
    """The customer as the account pages and API show them."""
    return {"id": row["id"], "email": row["email"], "name": row["name"],
            "email_verified": row["email_verified_at"] is not None, "created_at": _iso(row["created_at"]),
            "has_password": bool(row["password_hash"])}


# ------------------------------------------------------------------ sign-up / sign-in
#: at most one "someone tried to sign up with your address" e-mail per account within this time
SIGNUP_NOTICE_INTERVAL = timedelta(hours=1)


async def sign_up(runtime, email: str, password: str, name: str = "") -> dict | None:
    """Open an account for ``email`` and send the verification e-mail — or,
    when an account already uses the address, change nothing and e-mail its
    owner that someone tried to sign up with it (``emails/signup_attempt``;
    at most one such e-mail per :data:`SIGNUP_NOTICE_INTERVAL`).

    Returns the new customer's row, or None when the address was taken. The
    caller must answer both outcomes alike (no account enumeration): both
    run the same work — one argon2 hash of ``password``, one transaction
    that writes the e-mail request to the outbox — so they also take the
    same time. Raises :class:`CustomerError` for an invalid address or a
    password the policy refuses, whether or not the address is taken
    (nothing is written then)."""
    email = normalise_email(email)
    name = " ".join((name or "").split())[:200]
    _check_password(password, email)
    password_hash = await passwords.hash_password_async(password)  # also when the address is taken: same time
    now = _now()
    async with runtime.database.transaction():
        rows = await Customer.insert(Customer(email=email, password_hash=password_hash, name=name, created_at=now,
                                              password_changed_at=now)
                                     ).on_conflict(target=Customer.email, action="DO NOTHING"
                                                   ).returning(*Customer.all_columns()).run()
        if rows:
            customer = rows[0]
            await _request_token(runtime, customer, tokens.VERIFY_EMAIL)
        else:
            customer = None
            owner = await find_by_email(email)
            if owner is not None and owner["active"] and not await tokens.issued_since(
                    owner["id"], tokens.SIGNUP_ATTEMPT, now - SIGNUP_NOTICE_INTERVAL):
                await _request_token(runtime, owner, tokens.SIGNUP_ATTEMPT)
    runtime.events_committed()
    if customer is None:
        log.info("account.signup_address_taken")
        return None
    log.info("account.created", customer=customer["id"])
    return customer


async def _request_token(runtime, customer: dict, purpose: str) -> dict:
    from engine.accounts import mail

    security = runtime.settings.security
    lifetime = timedelta(minutes=security.password_reset_minutes) if purpose == tokens.RESET_PASSWORD \
        else timedelta(hours=security.email_verification_hours)  # a sign-up notice: while its e-mail may be sent
    row = await tokens.issue(runtime.settings.secret_key, customer["id"], customer["email"], purpose, lifetime)
    await mail.request_email(runtime, row)
    return row


async def authenticate(email: str, password: str) -> dict | None:
    """The customer when the password is right and the account active."""
    try:
        email = normalise_email(email)
    except CustomerError:
        await passwords.verify_async(None, password)
        return None
    row = await find_by_email(email)
    if row is None or not row["active"] or not row["password_hash"]:
        await passwords.verify_async(None, password)
        return None
    if not await passwords.verify_async(row["password_hash"], password):
        return None
    if passwords.needs_rehash(row["password_hash"]):
        await Customer.update({Customer.password_hash: await passwords.hash_password_async(password)}).where(
            Customer.id == row["id"]).run()
    await Customer.update({Customer.last_login_at: _now()}).where(Customer.id == row["id"]).run()
    return row


async def change_password(customer_id: int, current: str, new: str) -> None:
    """Change the password (the current one must be given when there is one)."""
    row = await get_customer(customer_id)
    if row is None:
        raise CustomerError("There is no such account.")
    if row["password_hash"] and not await passwords.verify_async(row["password_hash"], current or ""):
        raise CustomerError("The current password is wrong.", {"current_password": "The current password is wrong."})
    _check_password(new, row["email"], "new_password")
    if row["password_hash"] and await passwords.verify_async(row["password_hash"], new):
        raise CustomerError("Choose a password you do not use now.", {"new_password": "This is your current password."})
    await Customer.update({Customer.password_hash: await passwords.hash_password_async(new),
                           Customer.password_changed_at: _now()}).where(Customer.id == customer_id).run()
    log.info("account.password_changed", customer=customer_id)


async def request_password_reset(runtime, email: str) -> bool:
    """E-mail a reset link when an active account has this address. The
    caller answers the same either way (no account enumeration)."""
    try:
        email = normalise_email(email)
    except CustomerError:
        return False
    row = await find_by_email(email)
    if row is None or not row["active"]:
        log.info("account.reset_unknown_address")
        return False
    async with runtime.database.transaction():
        await _request_token(runtime, row, tokens.RESET_PASSWORD)
    runtime.events_committed()
    log.info("account.reset_requested", customer=row["id"])
    return True


async def reset_password(runtime, token: str, new_password: str) -> int:
    """Set a new password with an e-mailed token (spent by this call).
    Returns the customer id. The account's e-mail counts as verified."""
    row = await tokens.check(runtime.settings.secret_key, token, tokens.RESET_PASSWORD)
    if row is None:
        raise CustomerError("This reset link is invalid, expired or was used already. Ask for a new one.")
    customer = await get_customer(row["customer"])
    if customer is None or not customer["active"]:
        raise CustomerError("This reset link is invalid, expired or was used already. Ask for a new one.")
    _check_password(new_password, customer["email"], "new_password")
    password_hash = await passwords.hash_password_async(new_password)
    if await tokens.consume(runtime.settings.secret_key, token, tokens.RESET_PASSWORD) is None:
        raise CustomerError("This reset link is invalid, expired or was used already. Ask for a new one.")
    values = {Customer.password_hash: password_hash, Customer.password_changed_at: _now()}
    if customer["email_verified_at"] is None and customer["email"] == row["email"]:
        values[Customer.email_verified_at] = _now()
    await Customer.update(values).where(Customer.id == customer["id"]).run()
    log.info("account.password_reset", customer=customer["id"])
    return customer["id"]


async def request_verification(runtime, customer_id: int) -> bool:
    row = await get_customer(customer_id)
    if row is None or row["email_verified_at"] is not None:
        return False
    async with runtime.database.transaction():
        await _request_token(runtime, row, tokens.VERIFY_EMAIL)
    runtime.events_committed()
    return True


async def verify_email(runtime, token: str) -> int | None:
    """Mark the address verified with an e-mailed token; the customer id or None."""
    row = await tokens.consume(runtime.settings.secret_key, token, tokens.VERIFY_EMAIL)
    if row is None:
        return None
    updated = await fetch("UPDATE customers SET email_verified_at = {} WHERE id = {} AND email = {} RETURNING id",
                          _now(), row["customer"], row["email"])
    if updated:
        log.info("account.email_verified", customer=row["customer"])
    return row["customer"] if updated else None


# ------------------------------------------------------------------ external sign-in
async def sign_in_external(method_id: str, identity: dict) -> dict:
    """The customer for an identity proven by an external login method.

    A stored link wins. Otherwise a verified e-mail address links to the
    customer with that address — and when that account's address was never
    verified, its password is removed (whoever set it could not read the
    mail), closing "pre-registered account" takeovers. Without either, a new
    customer is created. An unverified address is refused."""
    subject = str(identity.get("subject") or "")
    issuer = str(identity.get("issuer") or "")
    if not subject:
        raise CustomerError("The sign-in provider did not say who you are.")
    key = f"{method_id}:{issuer}:{subject}"[:600]
    link = await CustomerIdentity.select().where(CustomerIdentity.key == key).first().run()
    if link is not None:
        customer = await get_customer(link["customer"])
        if customer is None or not customer["active"]:
            raise CustomerError("This account is closed.")
        return customer
    if not identity.get("email") or not identity.get("email_verified"):
        raise CustomerError("The sign-in provider did not confirm your e-mail address.")
    email = normalise_email(str(identity["email"]))
    customer = await find_by_email(email)
    if customer is not None and not customer["active"]:
        raise CustomerError("This account is closed.")
    if customer is None:
        rows = await Customer.insert(Customer(email=email, password_hash="", name=str(identity.get("name") or "")[:200],
                                              email_verified_at=_now(), created_at=_now())
                                     ).returning(*Customer.all_columns()).run()
        customer = rows[0]
        log.info("account.created", customer=customer["id"], method=method_id)
    elif customer["email_verified_at"] is None:
        await Customer.update({Customer.email_verified_at: _now(), Customer.password_hash: ""}).where(
            Customer.id == customer["id"]).run()
        customer = await get_customer(customer["id"])
    await CustomerIdentity.insert(CustomerIdentity(customer=customer["id"], method=method_id, key=key, email=email,
                                                   created_at=_now())).run()
    return customer


# ------------------------------------------------------------------ addresses
def clean_address(data: Any) -> dict[str, str]:
    """A valid address (the API's shape) or :class:`CustomerError`."""
    from engine.addresses import validate_address

    clean, errors = validate_address(data, "address")
    if errors:
        errors = {key.partition(".")[2] or key: message for key, message in errors.items()}
        raise CustomerError("Check the address.", errors)
    return {key: (value or "") for key, value in clean.items()}


def address_json(row: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"]}
    for name in ("first_name", "last_name", "company", "line1", "line2", "city", "region", "postal_code", "country",
                 "phone"):
        out[name] = row[name] or None if name in ("company", "line2", "region", "phone") else row[name]
    out["is_default"] = bool(row["is_default"])
    return out


async def list_addresses(customer_id: int) -> list[dict]:
    rows = await CustomerAddress.select().where(CustomerAddress.customer == customer_id).order_by(
        CustomerAddress.id).run()
    return [address_json(row) for row in rows]


async def get_address(customer_id: int, address_id: int) -> dict | None:
    """The address when it belongs to ``customer_id``, else None."""
    row = await CustomerAddress.select().where(CustomerAddress.id == address_id,
                                               CustomerAddress.customer == customer_id).first().run()
    return address_json(row) if row else None


async def _only_default(customer_id: int, address_id: int) -> None:
    await CustomerAddress.update({CustomerAddress.is_default: False}).where(
        CustomerAddress.customer == customer_id, CustomerAddress.id != address_id).run()


async def create_address(customer_id: int, data: dict, default: bool = False) -> dict:
    clean = clean_address(data)
    count = await CustomerAddress.count().where(CustomerAddress.customer == customer_id).run()
    if count >= MAX_ADDRESSES:
        raise CustomerError(f"An address book holds at most {MAX_ADDRESSES} addresses.")
    rows = await CustomerAddress.insert(CustomerAddress(customer=customer_id, is_default=default or count == 0,
                                                        created_at=_now(), **clean)
                                        ).returning(CustomerAddress.id).run()
    if default:
        await _only_default(customer_id, rows[0]["id"])
    return await get_address(customer_id, rows[0]["id"])


async def update_address(customer_id: int, address_id: int, data: dict, default: bool | None = None) -> dict | None:
    if await get_address(customer_id, address_id) is None:
        return None
    clean = clean_address(data)
    values = {getattr(CustomerAddress, key): value for key, value in clean.items()}
    if default is not None:
        values[CustomerAddress.is_default] = bool(default)
    await CustomerAddress.update(values).where(CustomerAddress.id == address_id,
                                               CustomerAddress.customer == customer_id).run()
    if default:
        await _only_default(customer_id, address_id)
    return await get_address(customer_id, address_id)


async def delete_address(customer_id: int, address_id: int) -> bool:
    rows = await fetch("DELETE FROM customer_addresses WHERE id = {} AND customer = {} RETURNING id", address_id,
                       customer_id)
    return bool(rows)


# ------------------------------------------------------------------ orders
async def order_history(customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The customer's orders, newest first (``number``, ``status``, ``total``, ``placed_at``)."""
    return await customer_orders.history(customer_id, limit)


# ------------------------------------------------------------------ export / delete
async def export_data(customer_id: int) -> dict[str, Any]:
    """Everything the shop keeps about the customer, as JSON-ready data."""
    row = await get_customer(customer_id)
    if row is None:
        raise CustomerError("There is no such account.")
    identities = await CustomerIdentity.select(CustomerIdentity.method, CustomerIdentity.email,
                                               CustomerIdentity.created_at).where(
        CustomerIdentity.customer == customer_id).run()
    return {
        "exported_at": _now().isoformat(),
        "account": {**public(row), "last_login_at": _iso(row["last_login_at"]),
                    "password_changed_at": _iso(row["password_changed_at"])},
        "addresses": await list_addresses(customer_id),
        "orders": await customer_orders.export(customer_id),
        "external_logins": [{"method": i["method"], "email": i["email"], "linked_at": _iso(i["created_at"])}
                            for i in identities],
    }


async def delete_account(runtime, customer_id: int, password: str | None, check_password: bool = True) -> None:
    """Delete the account: profile, addresses, links, tokens, carts and
    sessions go; orders stay for the shop's books, anonymised (no customer,
    e-mail ``deleted-<n>@invalid``, names and streets removed, country kept).
    Refused while an order is still open (unpaid, unshipped)."""
    row = await get_customer(customer_id)
    if row is None:
        raise CustomerError("There is no such account.")
    if check_password and row["password_hash"] and not await passwords.verify_async(row["password_hash"],
                                                                                      password or ""):
        raise CustomerError("The password is wrong.", {"password": "The password is wrong."})
    open_orders = await customer_orders.open_order_numbers(customer_id)
    if open_orders:
        numbers = ", ".join(open_orders)
        raise CustomerError(f"Your orders {numbers} are still in progress. The account can be deleted once they "
                            f"are completed or cancelled.")
    await ensure_reachable(runtime.session_store)
    async with runtime.database.transaction():
        anonymised = await customer_orders.anonymise_in_tx(customer_id)
        await carts.delete_customer_carts_in_tx(customer_id)
        await fetch("DELETE FROM customer_addresses WHERE customer = {}", customer_id)
        await fetch("DELETE FROM customer_identities WHERE customer = {}", customer_id)
        await fetch("DELETE FROM account_tokens WHERE customer = {}", customer_id)
        await fetch("DELETE FROM customers WHERE id = {}", customer_id)
    await end_user_sessions(runtime.session_store, SHOP, customer_id)
    log.info("account.deleted", customer=customer_id, orders_anonymised=anonymised)
