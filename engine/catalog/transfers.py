"""CSV import and export of products run as background jobs, with progress.

A transfer is a row of ``catalog_transfers`` (:class:`~engine.catalog.tables.CatalogTransfer`):
:func:`start_import` keeps the uploaded file in it (so any worker process can
read it: they share only the database) and :func:`start_export` creates an
empty one; each queues its job (:data:`IMPORT_JOB`, :data:`EXPORT_JOB`, with the
job id ``catalog:transfer:<id>``, so a transfer is queued once). The jobs call
the same importer and exporter as ``shopwright import products`` /
``export``: an import is validated whole first and a file with a bad row is
refused with each error and its line number, nothing written
(:mod:`engine.catalog.importer`). The job writes its progress (``done`` of
``total`` rows) into the row as it goes; the admin page reads it.

The jobs are idempotent (delivery is at least once): a finished transfer is
not run again, and an import that is run again after a crash writes the same
upserts, which completes it.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

from engine.catalog.exporter import export_to
from engine.catalog.importer import ImportReport, import_source, text_source
from engine.catalog.validation import fail
from engine.db.sql import fetch, fetchone, fetchval
from engine.errors import ShopError

IMPORT_JOB = "core.catalog_import"
EXPORT_JOB = "core.catalog_export"
#: the largest CSV file taken from the admin
MAX_IMPORT_BYTES = 15 * 1024 * 1024  # under the request limit (16 MB, engine.app)
#: rows per write transaction (and per progress step) of an admin import
BATCH_SIZE = 500
FIELDS = "id, kind, status, filename, total, done, errors, actor, created_at, finished_at"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def job_id(transfer_id: int) -> str:
    return f"catalog:transfer:{transfer_id}"


async def _create(runtime: Any, kind: str, filename: str, payload: str, actor: str) -> int:
    async with runtime.database.transaction():
        return await fetchval(
            "INSERT INTO catalog_transfers (kind, status, filename, total, done, payload, errors, actor, created_at) "
            "VALUES ({}, 'queued', {}, 0, 0, {}, '[]', {}, {}) RETURNING id", kind, filename[:200], payload,
            actor[:320], _now())


async def _queue(runtime: Any, name: str, transfer_id: int) -> None:
    await runtime.queue.enqueue(name, transfer_id, _job_id=job_id(transfer_id))


async def start_import(runtime: Any, data: bytes, filename: str, actor: str = "") -> int:
    """Keep an uploaded CSV file and queue its import; returns the transfer id.
    :class:`InvalidInput` (field ``file``) for an empty, too large or non
    UTF-8 file."""
    if not data:
        fail("file", "the file is empty")
    if len(data) > MAX_IMPORT_BYTES:
        fail("file", f"must be at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        fail("file", "must be a CSV file in UTF-8")
    if "\x00" in text:
        fail("file", "must be a CSV file in UTF-8")
    transfer_id = await _create(runtime, "import", filename, text, actor)
    await _queue(runtime, IMPORT_JOB, transfer_id)
    return transfer_id


async def start_export(runtime: Any, actor: str = "") -> int:
    """Queue an export of every product; returns the transfer id."""
    transfer_id = await _create(runtime, "export", "products.csv", "", actor)
    await _queue(runtime, EXPORT_JOB, transfer_id)
    return transfer_id


async def get_transfer(transfer_id: int) -> dict[str, Any] | None:
    """The transfer without its file: ``{id, kind, status, filename, total,
    done, errors: [{line, message}], actor, created_at, finished_at}``."""
    row = await fetchone(f"SELECT {FIELDS} FROM catalog_transfers WHERE id = {{}}", transfer_id)
    if row is not None:
        row["errors"] = json.loads(row["errors"] or "[]")
    return row


async def recent_transfers(limit: int = 10) -> list[dict[str, Any]]:
    rows = await fetch(f"SELECT {FIELDS} FROM catalog_transfers ORDER BY id DESC LIMIT {{}}", limit)
    for row in rows:
        row["errors"] = json.loads(row["errors"] or "[]")
    return rows


async def exported_file(transfer_id: int) -> str | None:
    """The CSV of a finished export, or None."""
    return await fetchval("SELECT payload FROM catalog_transfers WHERE id = {} AND kind = 'export' "
                          "AND status = 'done'", transfer_id)


async def _update(runtime: Any, transfer_id: int, sql: str, *args: Any) -> None:
    async with runtime.database.transaction():
        await fetch(f"UPDATE catalog_transfers SET {sql} WHERE id = {{}}", *args, transfer_id)


async def _claim(runtime: Any, transfer_id: int, kind: str) -> dict[str, Any] | None:
    """The transfer to run, marked running; None when it is finished or unknown."""
    async with runtime.database.transaction():
        return await fetchone("UPDATE catalog_transfers SET status = 'running', done = 0 WHERE id = {} AND kind = {} "
                              "AND status IN ('queued', 'running') RETURNING id, payload", transfer_id, kind)


async def run_import(runtime: Any, transfer_id: int) -> str:
    """The import job: validate the kept file, then write it with progress."""
    row = await _claim(runtime, transfer_id, "import")
    if row is None:
        return "finished before"
    done = 0

    async def validated(report: ImportReport) -> None:
        await _update(runtime, transfer_id, "total = {}", report.rows)

    async def progress(rows: int) -> None:
        nonlocal done
        done += rows
        await _update(runtime, transfer_id, "done = {}", done)

    try:
        report = await import_source(runtime, text_source(row["payload"], "csv"), batch_size=BATCH_SIZE,
                                     progress=progress, on_validated=validated)
    except (ShopError, csv.Error) as exc:  # the file, not the job, is at fault: refused, not retried
        await _finish(runtime, transfer_id, "failed", [{"line": 0, "message": str(exc)[:500]}])
        return "refused"
    except Exception as exc:
        await _finish(runtime, transfer_id, "failed", [{"line": 0, "message": str(exc)[:500]}])
        raise
    errors = [{"line": error.line, "message": error.message} for error in report.errors]
    if not report.rows and not errors:
        errors = [{"line": 0, "message": "the file has no product rows"}]
    await _finish(runtime, transfer_id, "done" if report.written else "failed", errors)
    return f"{report.rows} rows" if report.written else f"refused: {report.error_count} errors"


async def run_export(runtime: Any, transfer_id: int) -> str:
    """The export job: write every product into the transfer's file."""
    if await _claim(runtime, transfer_id, "export") is None:
        return "finished before"
    total = await fetchval("SELECT COUNT(*) FROM catalog_variants")
    await _update(runtime, transfer_id, "total = {}", int(total))
    done = 0

    async def progress(rows: int) -> None:
        nonlocal done
        done += rows
        await _update(runtime, transfer_id, "done = {}", done)

    handle = io.StringIO()
    rows = await export_to(handle, "csv", progress)
    await _update(runtime, transfer_id, "payload = {}, total = {}, done = {}", handle.getvalue(), rows, rows)
    await _finish(runtime, transfer_id, "done", [])
    return f"{rows} rows"


async def _finish(runtime: Any, transfer_id: int, status: str, errors: list[dict[str, Any]]) -> None:
    await _update(runtime, transfer_id, "status = {}, errors = {}, finished_at = {}", status,
                  json.dumps(errors[:1000]), _now())
