"""Triggers that count changes to what the storefront and the catalog API show.

Every insert, update or delete on a tracked table adds 1 to its scope's
counter in the same transaction, so a process that sees the new counter also
sees the change. Scopes: ``catalog`` (products, variants, categories,
attributes, collections, images, warehouses), ``stock`` (stock levels and
reservations), ``site`` (site settings: the active theme and its settings)
and ``plugins`` (enabled plugins and their settings).

- SQLite (one writer at a time): a row trigger per table and operation adds 1
  to the scope's only slot.
- PostgreSQL: deferred constraint triggers add 1 once per transaction and
  scope, at commit, to one of 32 slots chosen by transaction id, so that
  concurrent writers neither queue on one row for their whole transaction nor
  deadlock on it; a statement trigger covers TRUNCATE.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T14:20:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "change counter triggers"

SLOTS = 32
TRACKED = {
    "catalog_categories": "catalog",
    "catalog_products": "catalog",
    "catalog_variants": "catalog",
    "catalog_attributes": "catalog",
    "catalog_product_attribute_values": "catalog",
    "catalog_product_option_values": "catalog",
    "catalog_product_categories": "catalog",
    "catalog_collections": "catalog",
    "catalog_collection_products": "catalog",
    "catalog_product_images": "catalog",
    "catalog_warehouses": "catalog",
    "catalog_stock": "stock",
    "site_settings": "site",
    "plugin_state": "plugins",
}
SCOPES = sorted(set(TRACKED.values()))


async def existing(engine, tables) -> set[str]:
    """Which of ``tables`` exist. On a new database the catalog app's
    migrations run first, and the last of them drops
    ``catalog_product_option_values`` (catalog 2026-12-07T16:30): its
    triggers are left out here, as they would have gone with it."""
    names = ", ".join(f"'{table}'" for table in tables)
    if engine.engine_type == "sqlite":
        rows = await engine.run_ddl(f"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({names})")
    else:
        rows = await engine.run_ddl(f"SELECT tablename AS name FROM pg_tables WHERE tablename IN ({names})")
    return {row["name"] for row in rows}


POSTGRES_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION cache_bump_now(scope_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('shopwright.bumped_' || scope_name, true) = '1' THEN
    RETURN;
  END IF;
  UPDATE cache_generations SET value = value + 1
   WHERE scope = scope_name AND slot = (txid_current() % {SLOTS})::int;
  PERFORM set_config('shopwright.bumped_' || scope_name, '1', true);
END $$""",
    """CREATE OR REPLACE FUNCTION cache_bump_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM cache_bump_now(TG_ARGV[0]);
  RETURN NULL;
END $$""",
]


def sqlite_statements(tables: set[str]) -> list[str]:
    statements = [f"INSERT INTO cache_generations (scope, slot, value) VALUES ('{scope}', 0, 0)" for scope in SCOPES]
    for table, scope in TRACKED.items():
        if table not in tables:
            continue
        for operation in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER cache_bump_{table}_{operation.lower()} AFTER {operation} ON {table} BEGIN "
                f"UPDATE cache_generations SET value = value + 1 WHERE scope = '{scope}'; END")
    return statements


def postgres_statements(tables: set[str]) -> list[str]:
    statements = list(POSTGRES_FUNCTIONS)
    statements += [f"INSERT INTO cache_generations (scope, slot, value) "
                   f"SELECT '{scope}', s, 0 FROM generate_series(0, {SLOTS - 1}) s" for scope in SCOPES]
    for table, scope in TRACKED.items():
        if table not in tables:
            continue
        statements.append(
            f"CREATE CONSTRAINT TRIGGER cache_bump_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_bump_row('{scope}')")
        statements.append(
            f"CREATE TRIGGER cache_bump_{table}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION cache_bump_row('{scope}')")
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cache", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        tables = await existing(engine, TRACKED)
        statements = [
            "CREATE UNIQUE INDEX cache_generations_scope_slot ON cache_generations (scope, slot)",
            *(sqlite_statements(tables) if engine.engine_type == "sqlite" else postgres_statements(tables)),
        ]
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
