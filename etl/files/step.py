"""The download step of `uploads` (`sync.files.download: true`): every live upload whose bytes
are not stored for its current version is fetched, unless the allow-list or `max_size` say no;
the outcome is recorded on its row (`file_status`, `file_reason`, `file_checked_at`; the digest,
stored path and size when stored) and counted in the run's summary. A refusal (403: the token's
user has not joined the room), a missing file (404) or a failure after the retries costs that
file only, never the run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Row, or_, select, update

from etl.config import FilesSettings
from etl.errors import ApiError, NotFoundError, PermissionDeniedError, StopRequested, outcome
from etl.files.fetch import Download, RedirectRefused, download_path
from etl.files.store import FileStore
from etl.load import next_change_seq
from etl.schema.synced import Upload
from etl.sync.context import SyncContext, log

UPLOADS = Upload.__table__
# Outcomes tried again only when the file changes on the server (or a reconcile asks):
SETTLED = ("stored", "forbidden", "missing", "refused")


def version(row: Row[*tuple[Any, ...]]) -> str:
    """What identifies the bytes: a changed etag, size or `_updatedAt` means fetch again."""
    updated = row.updated_at.isoformat() if row.updated_at else ""
    return f"{row.etag or ''}|{row.size if row.size is not None else ''}|{updated}"


def allowed(settings: FilesSettings, name: str | None, mime: str | None) -> bool:
    """The allow-list: MIME types, `family/*`, or `.ext` (empty list: everything)."""
    if not settings.types:
        return True
    mime = (mime or "").lower()
    ext = "." + name.rsplit(".", 1)[-1].lower() if name and "." in name else None
    for entry in (t.lower() for t in settings.types):
        if entry in (mime, ext):
            return True
        if entry.endswith("/*") and mime.startswith(entry[:-1]):
            return True
    return False


def skip_reason(settings: FilesSettings, row: Row[*tuple[Any, ...]]) -> str | None:
    if not allowed(settings, row.name, row.type):
        return f"not in sync.files.types ({row.type or 'no type'}, {row.name})"
    if settings.max_size is not None and row.size is not None and row.size > settings.max_size:
        return f"{row.size} bytes is over sync.files.max_size ({settings.max_size})"
    return None


def pending(ctx: SyncContext) -> list[Row[*tuple[Any, ...]]]:
    c = UPLOADS.c
    query = select(
        c.id, c.name, c.type, c.size, c.etag, c.updated_at, c.rid, c.file_status, c.file_version
    )
    query = query.where(c.deleted_at.is_(None), or_(c.complete.is_(None), c.complete.is_(True)))
    with ctx.engine.connect() as conn:
        rows = conn.execute(query.order_by(c.id)).all()
    return [
        r for r in rows
        if ctx.full or r.file_status not in SETTLED or r.file_version != version(r)
    ]  # fmt: skip


def download_files(ctx: SyncContext) -> None:
    """Fetch on `sync.concurrency` threads; outcomes are written on this thread, one by one."""
    store = FileStore(ctx.settings.sync.files)
    rows = pending(ctx)
    log.info("files: %d upload(s) to check", len(rows))
    workers = ctx.settings.sync.concurrency
    with (
        httpx.Client(timeout=ctx.settings.server.timeout, follow_redirects=False) as http,
        ThreadPoolExecutor(workers, thread_name_prefix="rcetl-files") as pool,
    ):
        futures = [pool.submit(fetch_one, ctx, store, http, row) for row in rows]
        try:
            for future in as_completed(futures):
                record(ctx, *future.result())
        finally:
            for future in futures:  # a stop or a run-ending error: what has not started, won't
                future.cancel()
    purged = purge_unreferenced(ctx, store)
    if purged:
        log.info("files: %d stored file(s) no upload refers to any more removed (purge)", purged)
    if ctx.summary.files.get("forbidden"):
        log.warning(
            "files: %d refused (403): the token's user has not joined their rooms; join them "
            "to fetch these files (uploads.file_status = 'forbidden')",
            ctx.summary.files["forbidden"],
        )


def purge_unreferenced(ctx: SyncContext, store: FileStore) -> int:
    """Purge means purge: under `deletion_policy: purge` the bytes of purged uploads (and the old
    bytes of changed files) go too, once no upload row points at their digest. A legal hold keeps
    its uploads' rows, so their bytes stay. keep and redact keep every stored file."""
    if ctx.policy != "purge" or ctx.stopped:
        return 0
    query = select(UPLOADS.c.file_sha256).where(UPLOADS.c.file_sha256.is_not(None))
    with ctx.engine.connect() as conn:
        referenced = set(conn.execute(query).scalars())
    return store.remove_unreferenced(referenced)


Outcome = tuple[str, str, str | None, dict[str, object]]  # id, status, reason, columns


def fetch_one(
    ctx: SyncContext, store: FileStore, http: httpx.Client, row: Row[*tuple[Any, ...]]
) -> Outcome:
    settings, current = ctx.settings.sync.files, version(row)
    values: dict[str, object] = {"file_version": current}
    reason = skip_reason(settings, row)
    if reason:
        return str(row.id), "skipped", reason, values
    if ctx.stopped:
        raise StopRequested("stop requested before this file's download")
    part = store.part(str(row.id), current)
    try:
        got = Download(ctx.client, http, download_path(str(row.id), row.name), part).run()
    except PermissionDeniedError:
        reason = f"403: the token's user has not joined room {row.rid}; join it to fetch"
        return str(row.id), "forbidden", reason, values
    except NotFoundError:
        return str(row.id), "missing", "404: the server has no such file (deleted?)", values
    except RedirectRefused as exc:
        return str(row.id), "refused", exc.message, values
    except (ApiError, OSError) as exc:
        if outcome(exc).aborts_run:  # stopped, unreachable, bad credentials: all would fail
            raise
        return str(row.id), "failed", str(exc), values
    path = store.put(part, got.sha256)
    values.update(file_sha256=got.sha256, file_stored_path=path, file_size=got.size)
    return str(row.id), "stored", None, values


def record(
    ctx: SyncContext, upload_id: str, status: str, reason: str | None, values: dict[str, object]
) -> None:
    now: datetime = ctx.server_now()
    change = {"file_status": status, "file_reason": reason, "file_checked_at": now, **values}
    with ctx.engine.begin() as conn:
        # a new change_seq: the feed carries the row again, with its digest and stored path
        change["change_seq"] = next_change_seq(conn)
        conn.execute(update(Upload).where(Upload.id == upload_id).values(**change))
    ctx.summary.count_file(status)
    if status in ("failed", "refused"):
        log.warning("file %s: %s: %s", upload_id, status, reason)
