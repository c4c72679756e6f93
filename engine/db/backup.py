"""Backups of the shop's database: ``shopwright backup FILE`` / ``restore FILE``.

SQLite
    :func:`backup` uses SQLite's online backup API (``sqlite3.Connection.backup``):
    a consistent snapshot while the shop keeps serving and writing, written to
    a temporary file beside ``FILE`` and renamed into place when complete.
    :func:`restore` copies a backup back into the database file through the
    same API (so open connections see the restored data, never a half-copied
    file), after checking that it is a SQLite database that passes
    ``PRAGMA quick_check``.

PostgreSQL
    :func:`backup` runs ``pg_dump --format=custom`` (consistent: one
    repeatable-read snapshot) and :func:`restore` runs ``pg_restore --clean
    --if-exists --single-transaction`` (all or nothing). The password is handed
    over in ``PGPASSWORD``, never on a command line other users could read.
    Both tools must be installed (``postgresql-client``) with a major version
    at least the server's.

A SQLite backup cannot be restored into PostgreSQL or the other way round:
:func:`restore` says so before touching anything. Stop the web processes and
workers before a restore (the files and rows they hold would be replaced
under them); a backup needs no pause.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from engine.db import postgres_dsn, sqlite_path

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
#: pages copied per step of the online backup (the source is unlocked between steps)
BACKUP_STEP_PAGES = 1024


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


def _kind(file: Path) -> str:
    with file.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgres"
    return "unknown"


# ------------------------------------------------------------------ SQLite
def sqlite_backup(database: Path, target: Path) -> int:
    """Copy the live database ``database`` to ``target``; returns its size in bytes."""
    if not database.exists():
        raise BackupError(f"there is no database at {database}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(str(database), timeout=30)
    copy = sqlite3.connect(str(partial))
    try:
        source.backup(copy, pages=BACKUP_STEP_PAGES, sleep=0.005)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    os.replace(partial, target)
    return target.stat().st_size


def sqlite_restore(backup_file: Path, database: Path) -> None:
    """Replace the contents of ``database`` with ``backup_file``."""
    source = sqlite3.connect(backup_file.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        result = source.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{backup_file} is damaged ({result}); nothing was restored")
        target = sqlite3.connect(str(database), timeout=30)
        try:
            source.backup(target, pages=BACKUP_STEP_PAGES, sleep=0.005)
        finally:
            target.close()
    finally:
        source.close()


# ------------------------------------------------------------------ PostgreSQL
def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment carrying it."""
    parts = urlsplit(postgres_dsn(url))
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        parts = parts._replace(netloc=user + host)
    return urlunsplit(parts), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (install the PostgreSQL client tools, e.g. postgresql-client)")
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {message[-1] if message else done.returncode}")


def postgres_backup(url: str, target: Path) -> int:
    dsn, env = _libpq(url)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
          f"--dbname={dsn}"], env)
    os.replace(partial, target)
    return target.stat().st_size


def postgres_restore(backup_file: Path, url: str) -> None:
    dsn, env = _libpq(url)
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          f"--dbname={dsn}", str(backup_file)], env)


# ------------------------------------------------------------------ entry points
def backup(database_url: str, target: str | os.PathLike) -> int:
    """Back the database up into ``target``; returns the file's size."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder; name the backup file")
    target.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite:///"):
        return sqlite_backup(sqlite_path(database_url), target)
    return postgres_backup(database_url, target)


def restore(database_url: str, backup_file: str | os.PathLike) -> None:
    """Replace the database's contents with ``backup_file``."""
    backup_file = Path(backup_file)
    if not backup_file.is_file():
        raise BackupError(f"there is no backup file {backup_file}")
    kind = _kind(backup_file)
    wanted = "sqlite" if database_url.startswith("sqlite:///") else "postgres"
    if kind == "unknown":
        raise BackupError(f"{backup_file} is not a Shopwright backup (neither a SQLite file nor a pg_dump archive)")
    if kind != wanted:
        made = "SQLite" if kind == "sqlite" else "PostgreSQL"
        raise BackupError(f"{backup_file} is a {made} backup; the shop's database is "
                          f"{'SQLite' if wanted == 'sqlite' else 'PostgreSQL'}")
    if wanted == "sqlite":
        sqlite_restore(backup_file, sqlite_path(database_url))
    else:
        postgres_restore(backup_file, database_url)
