"""The services of usage files uploaded by a provider (`/billing/usage/`), the bulk pattern of
`relationships.services.bulk`: the upload checks the file and stores one row per data row (its
errors included) and queues the import; the task imports the waiting rows through
`services.usage_import` (the one set of rules, shared with `manage.py import_usage`) in batches
of BATCH_ROWS, each batch in one transaction with its rows' outcomes and the file's counters,
so a reload shows the progress, a crash redoes only the rows of its batch, and a rerun imports
nothing twice (rows already done are never waiting again; a record imported twice is
"unchanged" anyway). Another provider's subscription is refused per row exactly as a missing
one ("No such subscription of yours.")."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.audit import audit_record, notify
from portal.dispatch import task_queue
from portal.models import Membership
from portal.notices import Notice
from portal.policy import Action, require

from .events import AuditType
from .models import UsageImport, UsageImportRow
from .services import usage_import
from .usage_csv import check_usage_file

Row = UsageImportRow
BATCH_ROWS = 500
IMPORT_TASK = "invoicing.tasks.invoicing_usage_file_import"


def usage_file_upload(*, membership: Membership, filename: str, data: bytes) -> UsageImport:
    """Check the file (ValidationError for the file as a whole), store it with its rows and
    queue its import."""
    require(membership, Action.IMPORT_USAGE)
    checked = check_usage_file(data)
    with transaction.atomic():
        upload = UsageImport.objects.create(
            organization=membership.organization,
            created_by=membership.user,
            filename=filename[:255],
            encoding=checked.encoding,
            delimiter=checked.delimiter,
            total_rows=len(checked.rows),
            invalid_rows=len(checked.invalid),
        )
        Row.objects.bulk_create(
            [
                Row(
                    usage_import=upload,
                    line=row.line,
                    subscription_ref=row.subscription_ref,
                    usage_date_text=row.usage_date_text,
                    quantity_text=row.quantity_text,
                    subscription_id=row.subscription_id,
                    usage_date=row.usage_date,
                    quantity=row.quantity,
                    status=Row.Status.INVALID if row.errors else Row.Status.WAITING,
                    message=" ".join(row.errors),
                )
                for row in checked.rows
            ],
            batch_size=1000,
        )
        audit_record(
            type=AuditType.USAGE_FILE_UPLOADED,
            organization=membership.organization,
            actor=membership.user,
            usage_import=upload.pk,
            rows=upload.total_rows,
            invalid=upload.invalid_rows,
        )
        transaction.on_commit(partial(task_queue, IMPORT_TASK, upload.pk))
    return upload


def _import_batch(upload: UsageImport) -> bool:
    """One transaction: the next BATCH_ROWS waiting rows (locked, so two runs never import one
    twice) through `usage_import`, their outcomes and the counters. False when none waited."""
    with transaction.atomic():
        rows = list(
            Row.objects.select_for_update(skip_locked=True)
            .filter(usage_import=upload, status=Row.Status.WAITING)
            .order_by("line")[:BATCH_ROWS]
        )
        if not rows:
            return False
        result = usage_import(
            upload.organization,
            [(row.subscription_id, row.usage_date, row.quantity) for row in rows],  # type: ignore[misc]
            imported_by=upload.created_by,
        )
        refusals = dict(result.errors or [])
        for number, row in enumerate(rows, start=1):
            reason = refusals.get(number)
            row.status = Row.Status.REFUSED if reason else Row.Status.IMPORTED
            row.message = reason or ""
        Row.objects.bulk_update(rows, ["status", "message"])
        UsageImport.objects.filter(pk=upload.pk).update(
            status=UsageImport.Status.RUNNING,
            processed=F("processed") + len(rows),
            imported=F("imported") + result.imported,
            replaced=F("replaced") + result.replaced,
            unchanged=F("unchanged") + result.unchanged,
            refused=F("refused") + len(refusals),
        )
    return True


def _finish(*, import_id: int) -> None:
    """No row is waiting: the file is done (once), with its audit event and notice."""
    with transaction.atomic():
        upload = UsageImport.objects.select_for_update().filter(pk=import_id).first()
        if upload is None or upload.status == UsageImport.Status.DONE:
            return
        if Row.objects.filter(usage_import=upload, status=Row.Status.WAITING).exists():
            return  # another run is still importing: it finishes the file
        upload.status = UsageImport.Status.DONE
        upload.finished_at = timezone.now()
        upload.save(update_fields=["status", "finished_at"])
        audit_record(
            type=AuditType.USAGE_FILE_IMPORTED,
            organization=upload.organization,
            actor=None,
            actor_organization=None,
            ip_address=None,
            usage_import=upload.pk,
            imported=upload.imported,
            replaced=upload.replaced,
            unchanged=upload.unchanged,
            not_imported=upload.not_imported,
        )
        notify(
            organization=upload.organization,
            message=Notice(
                gettext_noop(
                    "Your usage file %(file)s is imported: %(done)s rows imported, %(not)s not."
                ),
                {
                    "file": upload.filename,
                    "done": upload.imported + upload.replaced + upload.unchanged,
                    "not": upload.not_imported,
                },
            ),
            link=f"/billing/usage/{upload.pk}/",
        )


def usage_file_import(*, import_id: int) -> None:
    """The task's body: every waiting row, a batch per transaction, then the file is done.
    Safe to run twice (or at once: rows are claimed with skip_locked)."""
    upload = (
        UsageImport.objects.select_related("organization", "created_by")
        .filter(pk=import_id)
        .first()
    )
    if upload is None or upload.status == UsageImport.Status.DONE:
        return
    while _import_batch(upload):
        pass
    _finish(import_id=import_id)
