"""pytest plugin for Shopwright and its plugins (entry point ``pytest11``).

Fixtures:

- ``database_url``: a fresh database with the core apps migrated, parametrized
  over SQLite and PostgreSQL (``--shopwright-db=sqlite|postgres|both``, default
  both). Each test gets a copy of a template migrated once per session;
  PostgreSQL databases are dropped afterwards.
- ``postgres_url`` / ``sqlite_url``: the same on one database only.
- ``redis_url``: the test Redis; each test gets its own queue name.
- ``shopwright_settings``: settings for a test (fresh database, in-process jobs).
- ``make_app``: ``await make_app(plugins=[...], enable=[...], settings={...}, **overrides)``
  builds a started, migrated app with exactly those plugins (core defaults
  included) and returns it; everything is shut down after the test.
- ``make_runtime``: the same without the web app (for job and service tests).

Helpers for a plugin's own tests: :func:`check_installed` (the distribution's
entry point loads the plugin), :func:`stored_plugin_settings` (settings as
stored), :func:`check_secret_at_rest` (a secret setting is encrypted at
rest and shown masked), :func:`collect_jobs` (the jobs the worker registers),
:func:`fetch`/:func:`fetchone`/:func:`fetchval` (SQL on the test shop's
database), :func:`create_customer`, :func:`wait_until` (poll a condition
under a deadline instead of sleeping), :func:`plugin_site` (a folder that
makes a plugin module discoverable, for a ``shopwright`` subprocess) and
:func:`run_shopwright` (the ``shopwright`` command against the test shop).
Checkout helpers are in :mod:`engine.testing.checkout`, theme helpers in
:mod:`engine.testing.themes`, admin helpers (a signed-in staff client, a
form's CSRF token) in :mod:`engine.testing.admin`.
Plugin and theme tests import only these (and the public API).

A test that needs PostgreSQL or Redis skips when the service is down, unless
``SHOPWRIGHT_REQUIRE_SERVICES=1``, which turns the skip into a failure (CI).
"""
from __future__ import annotations

import asyncio
import inspect
import os
import secrets as _secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

POSTGRES_ADMIN_URL = os.environ.get("SHOPWRIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SHOPWRIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def services_required() -> bool:
    return os.environ.get("SHOPWRIGHT_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def service_missing(what: str, error: BaseException) -> None:
    """Skip, or fail when services are required."""
    message = f"{what} is not available ({type(error).__name__}: {error})"
    if services_required():
        pytest.fail(f"{message}; SHOPWRIGHT_REQUIRE_SERVICES is set", pytrace=False)
    pytest.skip(message)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("shopwright")
    group.addoption("--shopwright-db", default=os.environ.get("SHOPWRIGHT_TEST_DB", "both"),
                    choices=["sqlite", "postgres", "both"], help="Databases the database tests run on.")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "shopwright_db_kind" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--shopwright-db")
        kinds = ["sqlite", "postgres"] if choice == "both" else [choice]
        metafunc.parametrize("shopwright_db_kind", kinds)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs PostgreSQL")
    config.addinivalue_line("markers", "redis: needs Redis")


# Migrating every core app for every test is slow, so each test session migrates
# once into a template (a SQLite file, a PostgreSQL template database) and each
# test starts from a copy. Plugin apps are migrated on top by make_app/make_runtime.
_templates: dict[str, str] = {}


async def _migrated_template(url: str) -> None:
    from engine.db import Database
    from engine.db.apps import CORE_APPS, tables_of
    from engine.db.migrate import migrate

    database = Database(url)
    await database.start(list(tables_of(CORE_APPS)))
    try:
        await migrate(database, CORE_APPS, echo=lambda *_: None)
    finally:
        await database.close()


async def _sqlite_template() -> Path:
    if "sqlite" not in _templates:
        path = Path(tempfile.mkdtemp(prefix="shopwright-template-")) / "template.sqlite"
        await _migrated_template(f"sqlite:///{path}")
        _templates["sqlite"] = str(path)
    return Path(_templates["sqlite"])


async def _admin_connection():
    import asyncpg

    try:
        return await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except Exception as exc:
        service_missing(f"PostgreSQL at {POSTGRES_ADMIN_URL}", exc)


def _postgres_url(name: str) -> str:
    return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


async def _create_postgres_database() -> tuple[str, str]:
    """A new database cloned from this session's migrated template."""
    conn = await _admin_connection()
    try:
        if "postgres" not in _templates:
            template = f"sw_template_{uuid.uuid4().hex[:12]}"
            await conn.execute(f'CREATE DATABASE "{template}"')
            _templates["postgres"] = template
            await _migrated_template(_postgres_url(template))
        name = f"sw_test_{uuid.uuid4().hex[:12]}"
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_templates["postgres"]}"')
    finally:
        await conn.close()
    return name, _postgres_url(name)


async def _drop_postgres_database(name: str) -> None:
    conn = await _admin_connection()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    template = _templates.pop("postgres", None)
    if template:
        try:
            asyncio.run(_drop_postgres_database(template))
        except BaseException:  # the session is ending anyway; never mask its result
            pass
    sqlite_template = _templates.pop("sqlite", None)
    if sqlite_template:
        shutil.rmtree(Path(sqlite_template).parent, ignore_errors=True)


async def _sqlite_copy(tmp_path: Path) -> str:
    target = tmp_path / "shop.sqlite"
    shutil.copyfile(await _sqlite_template(), target)
    return f"sqlite:///{target}"


@pytest.fixture
async def database_url(shopwright_db_kind: str, tmp_path) -> AsyncIterator[str]:
    """A fresh database of the parametrized kind, with the core apps migrated."""
    if shopwright_db_kind == "sqlite":
        yield await _sqlite_copy(tmp_path)
        return
    name, url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(name)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database with the core apps migrated, for tests of
    behaviour only PostgreSQL has (``database_url`` runs a test on both)."""
    name, url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(name)


@pytest.fixture
async def sqlite_url(tmp_path) -> str:
    """A fresh SQLite database URL with the core apps migrated (for tests that are
    about something else)."""
    return await _sqlite_copy(tmp_path)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The test Redis URL. Keys made under the test's queue name are removed after."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        service_missing(f"Redis at {REDIS_URL}", exc)
    yield REDIS_URL
    await client.aclose()


async def cleanup_redis(url: str, queue_name: str) -> None:
    """Delete the keys a test's queue created (never anything else). A Redis
    that is down (an outage test stopped it) has nothing left to clean."""
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        keys = [queue_name, queue_name + ":health-check"]
        async for key in client.scan_iter(match=f"arq:*{queue_name}:*"):
            keys.append(key)
        await client.delete(*keys)
    except RedisConnectionError:
        pass
    finally:
        await client.aclose()


@pytest.fixture
def shopwright_settings(sqlite_url):
    """Settings factory: ``shopwright_settings(**overrides)``."""
    from engine.settings import load_settings

    def build(**overrides: Any):
        values = {
            "database_url": sqlite_url,
            "secret_key": "test-" + _secrets.token_hex(16),
            "jobs": {"queue_name": f"swtest:{uuid.uuid4().hex[:10]}", "retry_backoff_seconds": 0.05},
            "plugins": {"refresh_interval_seconds": 0.2},
            "logging": {"level": "WARNING"},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(values.get(key), dict):
                values[key] = {**values[key], **value}
            else:
                values[key] = value
        return load_settings(config_path=os.devnull, environ={}, **values)

    return build


@pytest.fixture
async def make_runtime(shopwright_settings):
    """``await make_runtime(plugins=[...], enable=[...], background=True, settings={...}, **overrides)``
    (``settings`` holds setting overrides whose names clash with the arguments, e.g. ``plugins``):
    a migrated, started :class:`engine.runtime.Runtime`."""
    from engine.runtime import Runtime

    started: list[Runtime] = []

    async def build(plugins: Iterable[Any] = (), enable: Iterable[str] | None = None, background: bool = True,
                    settings: dict | None = None, **overrides: Any) -> Runtime:
        settings = shopwright_settings(**{**(settings or {}), **overrides})
        runtime = Runtime(settings, plugins=list(plugins))
        await runtime.connect()
        await runtime.migrate(echo=lambda *_: None, only_enabled=False)
        await runtime.start(background=background)
        started.append(runtime)
        names = enable if enable is not None else [p.MANIFEST.name for p in plugins]
        for name in names:
            await runtime.host.enable(name)
        return runtime

    yield build
    for runtime in reversed(started):
        await runtime.stop()
        if runtime.settings.redis_url:
            await cleanup_redis(runtime.settings.redis_url, runtime.settings.jobs.queue_name)


@pytest.fixture
async def make_app(shopwright_settings):
    """``await make_app(plugins=[...], enable=[...], **overrides)``: a started, migrated
    Quart app with exactly these plugins; use ``app.test_client()``."""
    from engine.app import create_app
    from engine.runtime import Runtime

    contexts = []

    async def build(plugins: Iterable[Any] = (), enable: Iterable[str] | None = None,
                    settings: dict | None = None, **overrides: Any):
        plugins = list(plugins)
        settings = shopwright_settings(**{**(settings or {}), **overrides})
        migrator = Runtime(settings, plugins=plugins)
        await migrator.connect()
        await migrator.migrate(echo=lambda *_: None, only_enabled=False)
        await migrator.database.close()
        app = create_app(settings, plugins=plugins)
        context = app.test_app_class(app, startup_timeout=60, shutdown_timeout=60)
        await context.__aenter__()
        contexts.append((app, context))
        names = enable if enable is not None else [p.MANIFEST.name for p in plugins]
        for name in names:
            await app.runtime.host.enable(name)
        return app

    yield build
    for app, context in reversed(contexts):
        await context.__aexit__(None, None, None)
        if app.runtime.settings.redis_url:
            await cleanup_redis(app.runtime.settings.redis_url, app.runtime.settings.jobs.queue_name)


# ------------------------------------------------------------ plugin authors
def run_shopwright(app: Any, *args: str) -> Any:
    """Run ``shopwright <args>`` in a child process against ``app``'s database
    and secret key (no config file), as a merchant would while the shop runs;
    asserts it exits 0 and returns the ``subprocess.CompletedProcess`` (text
    ``stdout`` and ``stderr``). Example::

        run_shopwright(app, "plugins", "enable", "loyalty")
        assert "enabled" in run_shopwright(app, "plugins", "show", "loyalty").stdout
    """
    import subprocess
    import sys

    settings = app.runtime.settings
    secret = settings.secret_key
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": settings.database_url, "SHOPWRIGHT_CONFIG": os.devnull,
           "SHOPWRIGHT_SECRET_KEY": secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret,
           "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"shopwright {' '.join(args)} failed ({done.returncode}): {done.stderr}"
    return done


def check_installed(name: str, plugin: Any, distribution: str) -> None:
    """Assert that ``distribution`` is installed, that its entry point finds
    plugin ``name`` and loads ``plugin`` without error, and that the
    distribution's version is the manifest's."""
    from importlib.metadata import version

    from engine.plugins import discover_installed

    found = {installed.name: installed for installed in discover_installed()}
    assert name in found, f"plugin {name!r} not found: is {distribution} installed (pip install -e <its folder>)?"
    installed = found[name]
    assert installed.error is None, installed.error
    assert installed.obj is plugin
    assert installed.version == version(distribution) == plugin.MANIFEST.version


async def stored_plugin_settings(name: str) -> dict[str, Any]:
    """Plugin ``name``'s settings as stored in the database (secret fields
    still encrypted)."""
    import json

    from engine.system.tables import PluginState

    row = await PluginState.select(PluginState.settings).where(PluginState.name == name).first()
    assert row is not None, f"plugin {name!r} has no stored state"
    return json.loads(row["settings"])


async def check_secret_at_rest(host: Any, name: str, key: str, plain: str) -> None:
    """Assert that secret setting ``key`` of plugin ``name`` is stored
    encrypted (never ``plain``), shown masked, and given to the plugin as
    ``plain``."""
    from engine.secrets import MASK, PREFIX

    stored = (await stored_plugin_settings(name))[key]
    assert stored.startswith(PREFIX) and plain not in stored, f"{key} is stored in the clear"
    assert host.shown_settings(name)[key] == MASK
    assert getattr(host.settings_for(name), key) == plain


def collect_jobs(host: Any) -> dict[str, tuple[str, Any]]:
    """What the worker registers: ``{job name: (plugin, JobDefinition)}`` for
    every usable installed plugin (``runtime.host``); a plugin's test asserts
    its jobs are there and well formed."""
    from engine.jobs import collect_jobs as collect

    return collect(host)


# ------------------------------------------------------------ the shop's data
async def fetch(sql: str, *args: Any) -> list[dict]:
    """Run one SQL statement on the test shop's database (``{}`` placeholders);
    rows as dicts. For asserting on, or arranging, what no public route shows."""
    from engine.db import sql as raw

    return await raw.fetch(sql, *args)


async def fetchone(sql: str, *args: Any) -> dict | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def fetchval(sql: str, *args: Any) -> Any:
    row = await fetchone(sql, *args)
    return next(iter(row.values())) if row else None


async def create_customer(runtime: Any, email: str, password: str, verified: bool = False) -> dict[str, Any]:
    """A shopper account, as sign-up makes it (``verified``: the e-mail
    address counts as confirmed); the account's public fields. Raises
    ``ValueError`` when an account already uses ``email``."""
    from engine.accounts import customers

    customer = await customers.sign_up(runtime, email, password)
    if customer is None:
        raise ValueError(f"an account already uses {email}")
    if verified:
        await fetch("UPDATE customers SET email_verified_at = created_at WHERE id = {}", customer["id"])
    return customer


async def wait_until(condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05,
                     what: str = "condition") -> Any:
    """Poll ``condition()`` (sync, or returning an awaitable) until it returns a
    truthy value, and return that value; ``AssertionError`` naming ``what`` when
    ``timeout`` seconds pass first. Tests wait on conditions, never on sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        await asyncio.sleep(interval)


def plugin_site(folder: Path, module: str, version: str = "0.0.1") -> Path:
    """Make ``folder`` a site folder in which the plugin module ``module`` is an
    installed distribution (``shopwright_<module>``) with a ``shopwright.plugins``
    entry point; put it (and the module's parent folder) on a subprocess's
    ``PYTHONPATH``. Returns ``folder``."""
    info = folder / f"shopwright_{module}-{version}.dist-info"
    info.mkdir(parents=True)
    name = "shopwright-" + module.replace("_", "-")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[shopwright.plugins]\n{module} = {module}\n")
    return folder


async def api_token(name: str, scopes: Iterable[str]) -> str:
    """A new admin API token with ``scopes`` (e.g. ``["orders:write"]``), as
    ``shopwright tokens create`` makes it; send it as ``Authorization: Bearer``."""
    from engine.accounts.staff import create_token

    token, _ = await create_token(name, list(scopes))
    return token


class SmtpInbox:
    """What the ``smtp_inbox`` fixture's SMTP server (aiosmtpd on 127.0.0.1)
    received: ``messages`` (parsed, in arrival order), their ``envelopes`` and its ``port``."""

    def __init__(self) -> None:
        import email.message

        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[Any] = []  # aiosmtpd envelopes: ``mail_from``, ``rcpt_tos``
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, timeout: float = 15.0) -> list:
        """The messages once there are at least ``count`` (AssertionError after ``timeout`` s)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
            await asyncio.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_inbox() -> Iterator[SmtpInbox]:
    """An SMTP server on a free 127.0.0.1 port that keeps what it is sent; point
    the shop at it with ``mail={"smtp_host": "127.0.0.1", "smtp_port": smtp_inbox.port}``."""
    from aiosmtpd.controller import Controller

    from engine.testing.checkout import free_port

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()
