"""Fixtures and helpers shared by the account and security tests (imported
by both conftest files)."""
from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

PASSWORD = "a sturdy passphrase 42"
STAFF_PASSWORD = "staff passphrase for tests"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def cookie_value(client, name: str) -> str | None:
    for cookie in client.cookie_jar:
        if cookie.name == name:
            return cookie.value
    return None


async def page_token(client, path: str = "/account/login", **kwargs: Any) -> str:
    """The CSRF token of the form on ``path`` (as a browser would read it)."""
    response = await client.get(path, **kwargs)
    body = await response.get_data(as_text=True)
    match = _TOKEN.search(body)
    assert match, f"no CSRF field on {path} ({response.status_code})"
    return match.group(1)


async def post_form(client, path: str, form: dict[str, Any], token_from: str | None = None, **kwargs: Any):
    """POST ``form`` with a CSRF token read from ``token_from`` (default: ``path``)."""
    token = await page_token(client, token_from or path, **kwargs)
    return await client.post(path, form={**form, "csrf_token": token}, **kwargs)


async def sign_up(app, email: str, password: str = PASSWORD, client=None, name: str = ""):
    """A test client signed in to a new account (through the sign-up form,
    then the sign-in form: sign-up itself signs nobody in)."""
    client = client or app.test_client()
    response = await post_form(client, "/account/signup", {"email": email, "password": password, "name": name},
                               token_from="/account/signup")
    assert response.status_code == 303, await response.get_data(as_text=True)
    assert response.headers["Location"] == "/account/signup/sent"
    signed_in = await login(client, email, password)
    assert signed_in.status_code == 303, await signed_in.get_data(as_text=True)
    return client


async def login(client, email: str, password: str = PASSWORD, **kwargs: Any):
    return await post_form(client, "/account/login", {"email": email, "password": password}, **kwargs)


async def customer_id(email: str) -> int:
    from engine.db.sql import fetchval

    return await fetchval("SELECT id FROM customers WHERE email = {}", email)


async def make_staff(email: str, role: str = "owner", password: str = STAFF_PASSWORD) -> int:
    from engine.accounts.staff import create_staff

    return await create_staff(email, password, role)


async def staff_login(client, email: str, password: str = STAFF_PASSWORD, code: str | None = None):
    """Sign in at /admin/login (and the two-factor step when ``code`` is given)."""
    response = await post_form(client, "/admin/login", {"email": email, "password": password})
    if code is not None:
        assert response.status_code == 303 and response.headers["Location"] == "/admin/login/2fa"
        response = await post_form(client, "/admin/login/2fa", {"code": code})
    return response


@pytest.fixture
async def shop(make_app, database_url):
    """A started app on SQLite and PostgreSQL with two products."""
    from engine.testing.checkout import add_product

    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=20)
    await add_product(app.runtime, "CAP-1", price=1000, stock=20)
    return app


@pytest.fixture
async def sqlite_shop(make_app):
    """The same on SQLite only (for tests about HTTP behaviour, not the database)."""
    from engine.testing.checkout import add_product

    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=2500, stock=20)
    return app


class Argon2Calls:
    """Wraps the real argon2 hasher and counts the work it does: ``hashes``
    and ``verifications`` (each runs in full, in whichever thread)."""

    def __init__(self, real) -> None:
        self.real = real
        self.hashes = 0
        self.verifications = 0
        self._lock = threading.Lock()

    def hash(self, *args: Any, **kwargs: Any):
        with self._lock:
            self.hashes += 1
        return self.real.hash(*args, **kwargs)

    def verify(self, *args: Any, **kwargs: Any):
        with self._lock:
            self.verifications += 1
        return self.real.verify(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.fixture
def argon2_calls(monkeypatch) -> Argon2Calls:
    """Count argon2 hashes and verifications from here on (the stand-in hash
    checked for unknown accounts is made before counting starts)."""
    from engine.accounts import passwords

    passwords._dummy_hash()
    counter = Argon2Calls(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", counter)
    return counter


class Clock:
    """A clock for ``runtime.clock`` that moves only when told to."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def inbox(smtp_inbox):
    """An SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it is sent
    (``engine.testing``'s ``smtp_inbox``)."""
    return smtp_inbox


@pytest.fixture
async def mail_shop(make_app, database_url, inbox):
    """A started app (SQLite and PostgreSQL) that mails through ``inbox``."""
    return await make_app(database_url=database_url,
                          mail={"smtp_host": "127.0.0.1", "smtp_port": inbox.port, "from_address": "shop@shop.example"},
                          store={"name": "Test Shop", "base_url": "http://shop.example"})
