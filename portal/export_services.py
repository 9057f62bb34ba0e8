"""Background exports: request one, write it (the worker), sweep the expired and the abandoned.

A worker writes the CSV to a temporary file in pieces (the rows come from a server-side cursor,
so memory stays flat at any size), records its progress in short transactions, then moves the
file into private storage and only then marks the row done. Anything that goes wrong marks it
failed with a reason and removes the partial file: a row marked done always has a whole file."""

from __future__ import annotations

import csv
import logging
import os
import secrets
import tempfile
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation

from .dispatch import task_queue
from .exports import export_kind, params_query
from .models import Export, Membership

logger = logging.getLogger(__name__)

EXPORT_TASK = "portal.tasks.export_run"
# Rows written between two progress updates (one short UPDATE each).
PROGRESS_EVERY = 10_000
# A queued export no worker picked up after this long is queued again by the sweep.
REQUEUE_AFTER = timedelta(minutes=2)
FAILURE_TEXT_LENGTH = 300


def _queue(export_id: int) -> None:
    """A broker failure is logged, not raised: the row is safe and the sweep queues it again."""
    try:
        task_queue(EXPORT_TASK, export_id, retry=False)
    except Exception:
        logger.warning("exports: could not queue export %s; the sweep will", export_id)


def export_request(
    *, membership: Membership, kind_name: str, params: dict[str, list[str]], language: str
) -> tuple[Export, bool]:
    """Ask a worker to prepare an export of the list `kind_name` with the list's filters.
    The same request while an identical one is still waiting or running returns that one
    (`created` False): a double click prepares one file."""
    kind = export_kind(kind_name)
    if kind is None or not kind.allowed(membership):
        raise PermissionDenied
    with transaction.atomic():
        active = Export.objects.filter(
            organization=membership.organization,
            requested_by=membership.user,
            kind=kind.name,
            status__in=(Export.Status.QUEUED, Export.Status.RUNNING),
        ).select_for_update()
        for export in active:
            if export.params == params and export.language == language:
                return export, False
        export = Export(
            organization=membership.organization,
            requested_by=membership.user,
            kind=kind.name,
            params=params,
            language=language,
        )
        export.full_clean()
        export.save()
        export_id = export.pk
        transaction.on_commit(lambda: _queue(export_id))
    return export, True


def _claim(export_id: int) -> Export | None:
    """Mark a waiting export running; None when it is not waiting (done, or another worker
    has it): running the task twice writes one file."""
    with transaction.atomic():
        export = (
            Export.objects.select_for_update(skip_locked=True)
            .select_related("organization")
            .filter(pk=export_id, status=Export.Status.QUEUED)
            .first()
        )
        if export is None:
            return None
        export.status = Export.Status.RUNNING
        export.updated_at = timezone.now()
        export.save(update_fields=["status", "updated_at"])
    return export


def _progress(export: Export, **fields: object) -> None:
    """One short UPDATE (its own transaction): the export page polls it."""
    Export.objects.filter(pk=export.pk).update(updated_at=timezone.now(), **fields)


def _write(export: Export, out: IO[str]) -> int:
    """Write the whole CSV to `out` in the requester's language; returns the number of rows."""
    kind = export_kind(export.kind)
    if kind is None:
        raise LookupError(f"No export kind {export.kind!r} is registered.")
    with translation.override(export.language):
        source = kind.source(export.organization, params_query(export.params))
        _progress(export, rows_total=source.queryset.order_by().count())
        writer = csv.writer(out)
        writer.writerow(source.header)
        rows = source.row_iterator()
        done = 0
        while chunk := list(islice(rows, PROGRESS_EVERY)):
            writer.writerows(chunk)
            done += len(chunk)
            _progress(export, rows_done=done)
    return done


def _storage_path(name: str) -> Path | None:
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:  # a remote storage: write locally, then upload
        return None


def export_run(*, export_id: int) -> Export | None:
    """The worker's part: write the export's file and mark it done, or mark it failed."""
    export = _claim(export_id)
    if export is None:
        return None
    name = f"exports/{export.organization_id}/{secrets.token_hex(16)}.csv"
    final = _storage_path(name)
    directory = final.parent if final else None
    if directory:
        directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=".part", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            rows = _write(export, out)
            out.flush()
            os.fsync(out.fileno())
        size = os.path.getsize(temporary)
        if final:
            os.replace(temporary, final)  # atomic: the name never shows a partial file
        else:
            with open(temporary, "rb") as data:
                name = default_storage.save(name, File(data))
    except Exception as exc:
        logger.exception("exports: export %s failed", export.pk)
        Path(temporary).unlink(missing_ok=True)
        now = timezone.now()
        _progress(
            export,
            status=Export.Status.FAILED,
            failure=f"{type(exc).__name__}: {exc}"[:FAILURE_TEXT_LENGTH],
            finished_at=now,
        )
        export.refresh_from_db()
        return export
    finally:
        if not final:
            Path(temporary).unlink(missing_ok=True)
    now = timezone.now()
    _progress(
        export,
        status=Export.Status.DONE,
        rows_done=rows,
        file_name=name,
        file_size=size,
        finished_at=now,
        expires_at=now + timedelta(days=settings.PORTAL_EXPORT_KEEP_DAYS),
    )
    export.refresh_from_db()
    return export


def exports_sweep(*, now: datetime | None = None) -> int:
    """Beat: delete the files of expired exports, fail the runs a dead worker abandoned (no
    progress for PORTAL_EXPORT_STALE_MINUTES), queue again those no worker picked up. Returns
    the number of files deleted."""
    now = now or timezone.now()
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                Export.objects.select_for_update(skip_locked=True).filter(
                    status=Export.Status.DONE, expires_at__lte=now
                )[:200]
            )
            for export in batch:
                if export.file_name:
                    default_storage.delete(export.file_name)
                    deleted += 1
                export.status = Export.Status.EXPIRED
                export.file_name = ""
                export.save(update_fields=["status", "file_name"])
        if len(batch) < 200:
            break
    stale = now - timedelta(minutes=settings.PORTAL_EXPORT_STALE_MINUTES)
    Export.objects.filter(status=Export.Status.RUNNING, updated_at__lt=stale).update(
        status=Export.Status.FAILED,
        failure="The worker preparing it stopped.",
        finished_at=now,
    )
    waiting = Export.objects.filter(
        status=Export.Status.QUEUED, created_at__lt=now - REQUEUE_AFTER
    ).values_list("pk", flat=True)
    for export_id in list(waiting[:100]):
        _queue(export_id)
    return deleted
