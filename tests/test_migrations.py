"""Piccolo's record of every shipped app's schema matches its table classes.

``piccolo migrations new <app> --auto`` replays the app's migration files into a
snapshot of the schema and compares it with the app's table classes; every
difference becomes an operation of the new migration. When the two have drifted
apart (a hand-written migration that describes a column differently from the
table class, a table class changed without its migration), the next auto
migration of that app carries operations nobody asked for, such as dropping a
primary key. This module computes, in process, without writing files and without
a database, what that command would generate for every core app
(``engine.db.apps.CORE_APPS`` and the core defaults' apps) and for every bundled
plugin's app (``plugins/*``), and fails listing the app and the operations.

How to fix a failure:

- A table class was changed on purpose: generate its migration, review it and
  commit it with the change::

      PICCOLO_CONF=engine.piccolo_conf .venv/bin/piccolo migrations new <app> --auto

- The operations describe no real change (the database already has what the
  table class says; only Piccolo's record is wrong): generate the migration the
  same way, then construct its ``MigrationManager`` with ``fake=True``, so that it
  corrects the record and runs no SQL (``shopwright migrate`` and Piccolo's
  ``migrations forwards`` only record a fake migration as applied); add it to
  ``CORRECTIONS`` below so its upgrade path is tested. Never edit a migration
  that databases have already run. Example:
  ``engine/cache/migrations/cache_2026_12_06t12_32_01_482987.py``.

The upgrade test migrates an empty database (SQLite and PostgreSQL) with an
app's migrations as they were before each correction, then with the current
ones, and checks that it ends up with the same schema as a database migrated
from scratch.
"""
from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tomllib
import types
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from importlib.metadata import EntryPoint
from itertools import chain
from pathlib import Path

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import AppConfig

from engine.db import Database
from engine.db import sql
from engine.db.apps import CORE_APPS, load_app_config, tables_of
from engine.db.migrate import _migration_modules, migrate
from engine.plugins import PLUGIN_GROUP, default_plugins, inspect_plugin
from engine.testing import POSTGRES_ADMIN_URL, service_missing

ROOT = Path(__file__).resolve().parents[1]

#: Migrations that only correct Piccolo's record of a schema (``fake=True``):
#: (app module, migration id). Their upgrade path is tested below.
CORRECTIONS = [
    ("engine.cache.piccolo_app", "2026-12-06T12:32:01:482987"),
]


class AutoMigration(AutoMigrationManager):
    """What ``piccolo migrations new <app> --auto`` computes for an app, optionally
    as of an older migration (``up_to``: the last migration id to replay)."""

    def __init__(self, up_to: str | None = None) -> None:
        # "n": a dropped column plus an added one is shown as such, never asked about.
        super().__init__(auto_input="n")
        self.up_to = up_to

    async def get_migration_managers(self, app_config, max_migration_id=None, offset=0):
        return await super().get_migration_managers(
            app_config, max_migration_id=max_migration_id or self.up_to, offset=offset)


async def proposed_operations(app_config: AppConfig, up_to: str | None = None) -> list[str]:
    """The operations the next auto migration of ``app_config`` would contain."""
    saved_path = list(sys.path)  # Piccolo puts each migrations folder on sys.path
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints a summary table
            statements = await AutoMigration(up_to).get_alter_statements(app_config=app_config)
    finally:
        sys.path[:] = saved_path
    return list(chain.from_iterable(s.statements for s in statements))


def bundled_plugins():
    """Every plugin under ``plugins/``, loaded from its ``pyproject.toml`` entry point."""
    found = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())["project"]
        for name, value in project.get("entry-points", {}).get(PLUGIN_GROUP, {}).items():
            obj = EntryPoint(name=name, value=value, group=PLUGIN_GROUP).load()
            found.append(inspect_plugin(obj, str(pyproject.parent.relative_to(ROOT)), expected_name=name))
    return found


def shipped_apps() -> list[str]:
    """Core apps, then the apps of the core defaults and of the bundled plugins."""
    apps = list(CORE_APPS)
    for plugin in default_plugins() + bundled_plugins():
        if plugin.manifest and plugin.manifest.piccolo_app and plugin.manifest.piccolo_app not in apps:
            apps.append(plugin.manifest.piccolo_app)
    return apps


def test_every_bundled_plugin_is_checked():
    """A plugin whose manifest cannot be read would drop out of the drift check unseen."""
    folders = sorted(p.parent.name for p in ROOT.glob("plugins/*/pyproject.toml"))
    plugins = bundled_plugins()
    assert folders and len(plugins) >= len(folders), (folders, [p.name for p in plugins])
    assert all(p.manifest is not None for p in plugins), {p.name: p.error for p in plugins if p.manifest is None}


async def test_auto_migration_proposes_nothing():
    drift = {}
    for module_path in shipped_apps():
        config = load_app_config(module_path)
        operations = await proposed_operations(config)
        if operations:
            drift[f"{config.app_name} ({module_path})"] = operations
    assert not drift, (
        "Piccolo's auto migration would change these apps; see this module's docstring:\n"
        + "\n".join(f"{app}:\n" + "\n".join(f"    {op}" for op in ops) for app, ops in drift.items())
    )


@pytest.mark.parametrize("module_path, migration_id", CORRECTIONS)
async def test_check_sees_what_each_correction_corrects(module_path, migration_id):
    """The check is not blind: replayed up to the migration before a correction,
    the app drifts; the correction itself runs no SQL."""
    config = load_app_config(module_path)
    modules = _migration_modules(config.app_name, Path(config.resolved_migrations_folder_path))
    ids = sorted(modules)
    assert migration_id in ids, f"{migration_id} is not a migration of {config.app_name}"
    assert ids.index(migration_id) > 0
    assert await proposed_operations(config, up_to=ids[ids.index(migration_id) - 1])
    assert not await proposed_operations(config, up_to=migration_id)
    assert (await modules[migration_id].forwards()).fake, "a correction must be MigrationManager(fake=True)"


# ------------------------------------------------------------------ upgrade path

SQLITE_SCHEMA = [
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
]
POSTGRES_SCHEMA = [
    "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, numeric_precision,"
    " is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'"
    " ORDER BY table_name, ordinal_position",
    "SELECT conrelid::regclass::text AS table_name, conname, contype, pg_get_constraintdef(oid) AS definition"
    " FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2",
    "SELECT tgrelid::regclass::text AS table_name, tgname, pg_get_triggerdef(oid) AS definition"
    " FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2",
    "SELECT proname, pg_get_functiondef(oid) AS definition FROM pg_proc"
    " WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
    "SELECT sequencename, data_type, start_value, increment_by FROM pg_sequences"
    " WHERE schemaname = 'public' ORDER BY 1",
]


async def schema_of(database: Database) -> dict:
    """Everything the migrations make (tables, columns, keys, indexes, triggers,
    functions, sequences) and which migrations are recorded."""
    queries = SQLITE_SCHEMA if database.dialect == "sqlite" else POSTGRES_SCHEMA
    found = {query: await sql.fetch(query) for query in queries}
    found["migrations"] = sorted((row["app_name"], row["name"]) for row in await sql.fetch(
        "SELECT app_name, name FROM migration"))
    return found


async def schema_from_scratch(database_url: str, apps: list[str]) -> dict:
    """:func:`schema_of` an empty database migrated with the current files of ``apps``."""
    fresh = Database(database_url)
    await fresh.start(list(tables_of(apps)))
    try:
        await migrate(fresh, apps, echo=lambda *_: None)
        return await schema_of(fresh)
    finally:
        await fresh.close()


async def rows_of(config: AppConfig, only: Iterable[str] | None = None) -> dict:
    """Every row of the app's tables (or of the tables named in ``only``)."""
    names = None if only is None else set(only)
    return {table._meta.tablename: await sql.fetch(f"SELECT * FROM {table._meta.tablename} ORDER BY 1")
            for table in config.table_classes if names is None or table._meta.tablename in names}


@pytest.fixture
async def empty_database_url(shopwright_db_kind: str, tmp_path):
    """An empty database of the parametrized kind (nothing migrated)."""
    if shopwright_db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgraded.sqlite'}"
        return
    import asyncpg

    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except Exception as exc:
        service_missing(f"PostgreSQL at {POSTGRES_ADMIN_URL}", exc)
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def app_before(module_path: str, migration_id: str, tmp_path: Path, monkeypatch, *, including: bool = False) -> str:
    """A stand-in for the app ``module_path`` as it was shipped before ``migration_id``
    (or, ``including``, with it as its last migration): the same app name and
    tables, only its older migration files."""
    config = load_app_config(module_path)
    folder = tmp_path / f"{config.app_name}_migrations_{'upto' if including else 'before'}"
    folder.mkdir()
    for older_id, module in _migration_modules(config.app_name, Path(config.resolved_migrations_folder_path)).items():
        if older_id < migration_id or (including and older_id == migration_id):
            shutil.copy(module.__file__, folder)
    stand_in = types.ModuleType(f"_{config.app_name}_piccolo_app_before_{uuid.uuid4().hex[:8]}")
    stand_in.APP_CONFIG = AppConfig(
        app_name=config.app_name,
        migrations_folder_path=str(folder),
        table_classes=list(config.table_classes),
        migration_dependencies=list(config.migration_dependencies),
    )
    monkeypatch.setitem(sys.modules, stand_in.__name__, stand_in)
    return stand_in.__name__


@pytest.mark.parametrize("module_path, migration_id", CORRECTIONS)
async def test_upgrade_through_correction(module_path, migration_id, empty_database_url, database_url,
                                          tmp_path, monkeypatch):
    """A database migrated with the files shipped before a correction, then with the
    current ones, ends up as one migrated from scratch; the correction changes no
    table, index, trigger or row."""
    config = load_app_config(module_path)
    apps = CORE_APPS if module_path in CORE_APPS else [*CORE_APPS, module_path]
    before = app_before(module_path, migration_id, tmp_path, monkeypatch)
    old_apps = [before if app == module_path else app for app in apps]
    # the app as shipped with the correction (later migrations of the app left out)
    upto = app_before(module_path, migration_id, tmp_path, monkeypatch, including=True)
    corrected_apps = [upto if app == module_path else app for app in apps]

    upgraded = Database(empty_database_url)
    await upgraded.start(list(tables_of(apps)))
    try:
        first = await migrate(upgraded, old_apps, echo=lambda *_: None)
        assert first and (config.app_name, migration_id) not in first
        schema_before, rows_before = await schema_of(upgraded), await rows_of(config)
        echoed = []
        assert await migrate(upgraded, corrected_apps, echo=echoed.append) == [(config.app_name, migration_id)]
        assert echoed == [f"applied {config.app_name} {migration_id} (record only)"]
        schema_after, rows_after = await schema_of(upgraded), await rows_of(config)
        await migrate(upgraded, apps, echo=lambda *_: None)  # the app's later migrations, if any
        schema_current = await schema_of(upgraded)
    finally:
        await upgraded.close()

    schema_fresh = await schema_from_scratch(database_url, apps)

    migrations_before = schema_before.pop("migrations")
    assert schema_after.pop("migrations") == sorted([*migrations_before, (config.app_name, migration_id)])
    assert schema_after == schema_before, "the correction changed the schema"
    assert rows_after == rows_before
    assert rows_before, f"{config.app_name} has no tables?"
    assert schema_current == schema_fresh


# ------------------------------------------------------------------ 64-bit money

#: The migrations that widen money columns to 64 bits (issue 20, item 5):
#: (app module, migration id, {table: money columns}).
WIDENINGS = [
    ("engine.catalog.piccolo_app", "2026-12-06T15:52:46:053784",
     {"catalog_products": ["price_min"], "catalog_variants": ["price_amount"]}),
    ("engine.orders.piccolo_app", "2026-12-06T15:52:46:785573",
     {"orders": ["subtotal", "discount_total", "shipping_total", "tax_total", "total", "paid_amount",
                 "refunded_amount"],
      "order_lines": ["unit_price", "subtotal", "discount", "total"]}),
    ("engine.cart.piccolo_app", "2026-12-06T15:52:47:603813", {"cart_lines": ["seen_price"]}),
    ("engine.payments.piccolo_app", "2026-12-06T15:52:48:335635",
     {"payments": ["amount", "captured_amount", "refunded_amount"], "payment_transactions": ["amount"]}),
    ("engine.pricing.piccolo_app", "2026-12-06T15:52:49:043087", {"promotions": ["min_subtotal"]}),
]
INT32_MAX = 2**31 - 1
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def _one_row_per_money_table() -> None:
    """A row in every widened table, each money column at the 32-bit maximum."""
    from engine.cart.tables import Cart, CartLine
    from engine.catalog.tables import Product, Variant
    from engine.orders.tables import Order, OrderLine
    from engine.payments.tables import Payment, PaymentTransaction
    from engine.pricing.tables import Promotion

    product = (await Product.insert(Product(slug="p", title="P", price_min=INT32_MAX)).returning(Product.id).run())[0]
    await Variant.insert(Variant(product=product["id"], sku="P-1", price_amount=INT32_MAX)).run()
    # Named columns: the current Cart may have columns added after the widening.
    cart = (await Cart.raw("INSERT INTO carts (token, currency, status, vouchers, created_at, updated_at) "
                           "VALUES ('t', 'EUR', 'open', '[]', {}, {}) RETURNING id", _EPOCH, _EPOCH).run())[0]
    await CartLine.insert(CartLine(cart=cart["id"], sku="P-1", seen_price=INT32_MAX)).run()
    money = dict.fromkeys(WIDENINGS[1][2]["orders"], INT32_MAX)
    # Named columns: the current Order may have columns added after the widening.
    order = (await Order.raw(
        f"INSERT INTO orders (email, token_salt, currency, status, {', '.join(money)}, placed_at, updated_at) "
        f"VALUES ('a@example.test', 's', 'EUR', 'paid', {', '.join('{}' for _ in money)}, {{}}, {{}}) RETURNING id",
        *money.values(), _EPOCH, _EPOCH).run())[0]
    await OrderLine.insert(OrderLine(order_id=order["id"], sku="P-1", quantity=1,
                                     **dict.fromkeys(WIDENINGS[1][2]["order_lines"], INT32_MAX))).run()
    payment = (await Payment.insert(Payment(order_id=order["id"], gateway="manual", plugin="core_payments",
                                            currency="EUR", **dict.fromkeys(WIDENINGS[3][2]["payments"], INT32_MAX)))
               .returning(Payment.id).run())[0]
    await PaymentTransaction.insert(PaymentTransaction(
        payment_id=payment["id"], order_id=order["id"], plugin="core_payments", kind="capture", amount=INT32_MAX,
        currency="EUR", idempotency_key="widen-test")).run()
    await Promotion.insert(Promotion(name="P", kind="fixed", currency="EUR", min_subtotal=INT32_MAX)).run()


async def test_money_columns_widen_to_64_bits_keeping_the_data(empty_database_url, database_url, tmp_path,
                                                               monkeypatch):
    """A database made before the widening (32-bit money on PostgreSQL), holding
    the largest 32-bit amounts, is upgraded in place: the rows are unchanged,
    amounts beyond 32 bits then fit, and the schema is one migrated from scratch."""
    widened = {module: migration_id for module, migration_id, _ in WIDENINGS}
    stand_ins = {app: app_before(app, migration_id, tmp_path, monkeypatch) for app, migration_id in widened.items()}
    old_apps = [stand_ins.get(app, app) for app in CORE_APPS]
    for app in old_apps:  # the old apps depend on the stand-ins, not on the current apps
        config = load_app_config(app)
        monkeypatch.setattr(config, "migration_dependencies",
                            [stand_ins.get(dependency, dependency) for dependency in config.migration_dependencies])
    configs = [load_app_config(module) for module in widened]
    upgraded = Database(empty_database_url)
    await upgraded.start(list(tables_of(CORE_APPS)))
    try:
        await migrate(upgraded, old_apps, echo=lambda *_: None)
        await _one_row_per_money_table()
        # only the widened tables: the app may have gained tables since (created by later migrations)
        widened_tables = {name for _, _, tables in WIDENINGS for name in tables}
        rows_before = [await rows_of(config, widened_tables) for config in configs]
        applied = await migrate(upgraded, CORE_APPS, echo=lambda *_: None)
        widenings = {(config.app_name, widened[module]) for module, config in zip(widened, configs)}
        assert widenings <= set(applied)  # and any migration made after them
        after = [await rows_of(config, widened_tables) for config in configs]
        # columns added by later migrations are left out: the rows kept their data
        assert [{table: [{key: row[key] for key in before_rows[0]} for row in after_app[table]] if before_rows else []
                 for table, before_rows in before_app.items()}
                for before_app, after_app in zip(rows_before, after)] == rows_before
        for _, _, tables in WIDENINGS:
            for table, columns in tables.items():
                big = {column: 2**40 + 1 for column in columns}
                assignments = ", ".join(f"{column} = {{}}" for column in columns)
                await sql.fetch(f"UPDATE {table} SET {assignments}", *big.values())
                stored = await sql.fetchone(f"SELECT {', '.join(columns)} FROM {table}")
                assert stored == big, table
        schema_upgraded = await schema_of(upgraded)
    finally:
        await upgraded.close()

    assert await schema_from_scratch(database_url, CORE_APPS) == schema_upgraded
