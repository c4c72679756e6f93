"""Account tables: staff (with roles, two-factor and recovery codes), admin
API tokens, shoppers (customers, their addresses, external identities and
e-mailed single-use tokens). The staff audit log's table is defined by
:mod:`engine.audit`, its only writer, and migrated with this app."""
from __future__ import annotations

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from engine.audit import AuditEntry


class StaffUser(Table, tablename="staff_users"):
    """A member of staff. ``password_hash`` is argon2id; ``role`` names a
    built-in role (owner, manager, support) or a row of ``staff_roles``.

    Two-factor: ``totp_secret`` is the TOTP key encrypted with the shop's
    secret key (empty: not enrolled); ``totp_last_step`` is the 30-second
    time step of the last accepted code, so a code is never accepted twice."""

    email = Varchar(length=320, unique=True, index=True)
    password_hash = Text()
    role = Varchar(length=50, default="support")
    active = Boolean(default=True)
    created_at = Timestamptz()
    totp_secret = Text(default="")
    totp_enabled_at = Timestamptz(null=True, default=None)
    totp_last_step = Integer(default=0)
    last_login_at = Timestamptz(null=True, default=None)
    password_changed_at = Timestamptz(null=True, default=None)


class StaffRole(Table, tablename="staff_roles"):
    """A custom staff role: ``permissions`` is a comma-separated list of
    permission codes (``all`` grants everything)."""

    id = Serial(primary_key=True)
    name = Varchar(length=50, unique=True, index=True)
    title = Varchar(length=200, default="")
    permissions = Text(default="")
    created_at = Timestamptz()


class StaffRecoveryCode(Table, tablename="staff_recovery_codes"):
    """A single-use two-factor recovery code (SHA-256 of the code; 80 random bits)."""

    id = Serial(primary_key=True)
    staff_id = Integer(index=True)
    code_hash = Varchar(length=64, index=True)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class ApiToken(Table, tablename="api_tokens"):
    """An admin API token. Only its SHA-256 digest is stored; ``prefix`` identifies it
    in listings. ``scopes`` is a comma-separated list."""

    name = Varchar(length=200)
    prefix = Varchar(length=16, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    scopes = Text(default="")
    created_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    created_by = Varchar(length=320, default="")


class Customer(Table, tablename="customers"):
    """A shopper's account (separate from staff). ``password_hash`` is
    argon2id, or empty for an account that only signs in through an external
    login method (OpenID Connect)."""

    id = Serial(primary_key=True)
    email = Varchar(length=320, unique=True, index=True)
    password_hash = Text(default="")
    name = Varchar(length=200, default="")
    email_verified_at = Timestamptz(null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()
    password_changed_at = Timestamptz(null=True, default=None)
    last_login_at = Timestamptz(null=True, default=None)


class CustomerAddress(Table, tablename="customer_addresses"):
    """An entry of a customer's address book (the API's address shape)."""

    id = Serial(primary_key=True)
    customer = Integer(index=True)
    first_name = Varchar(length=100)
    last_name = Varchar(length=100)
    company = Varchar(length=200, default="")
    line1 = Varchar(length=200)
    line2 = Varchar(length=200, default="")
    city = Varchar(length=100)
    region = Varchar(length=100, default="")
    postal_code = Varchar(length=20)
    country = Varchar(length=2)
    phone = Varchar(length=40, default="")
    is_default = Boolean(default=False)
    created_at = Timestamptz()


class CustomerIdentity(Table, tablename="customer_identities"):
    """A link between a customer and an external login (``key`` is
    ``<login method id>:<issuer>:<subject>``)."""

    id = Serial(primary_key=True)
    customer = Integer(index=True)
    method = Varchar(length=100)
    key = Varchar(length=600, unique=True, index=True)
    email = Varchar(length=320, default="")
    created_at = Timestamptz()


class AccountToken(Table, tablename="account_tokens"):
    """An e-mailed single-use token (``purpose``: ``verify_email`` or
    ``reset_password``; ``signup_attempt`` records a sign-up notice, whose
    token no page accepts). The token is an HMAC of ``id`` and ``salt`` under the
    shop's secret key: it is never stored, and a job can rebuild it to send
    the e-mail without the secret passing through the queue."""

    id = Serial(primary_key=True)
    customer = Integer(index=True)
    purpose = Varchar(length=30)
    email = Varchar(length=320)
    salt = Varchar(length=64)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    mailed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


TABLES = [StaffUser, StaffRole, StaffRecoveryCode, ApiToken, Customer, CustomerAddress, CustomerIdentity,
          AccountToken, AuditEntry]
