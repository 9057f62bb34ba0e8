"""Bulk invitations: a provider's CSV of reseller invitations or a reseller's of customer
invitations. Checked and stored as a draft the sender reviews; confirmed, it is sent by a task
through the single-invitation services (the same rules, refusals and hourly limit as one
invitation typed in the form: once the organization's limit is reached, the rest waits in the
database for the limit's next window, `next_send_at`, and the beat sweep resumes it; never an
ETA in the broker), in short transactions (half a second of rows each) that also move the
progress counters, so a page reload shows where it is, a crash redoes only the rows of its
transaction, and the web is never kept waiting behind a whole file (on SQLite a transaction
holds the whole database)."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.audit import audit_record, notify
from portal.dispatch import task_queue
from portal.models import Membership
from portal.notices import Notice
from portal.outbox import outbox_drains_batched
from portal.policy import Action, require
from portal.ratelimit import Rate, RateLimited, rate_limit_consume, rate_limit_of
from portal.turns import WriterTurns

from ..bulk_csv import MAX_BYTES, check_file, printable
from ..events import AuditType
from ..models import (
    BulkInvitationBatch,
    BulkInvitationRow,
    CustomerInvitation,
    ResellerInvitation,
)
from .customers import customer_invitation_create
from .reseller_invitations import reseller_invitation_create

Batch = BulkInvitationBatch
Row = BulkInvitationRow
CHUNK = 250
# A transaction of the sending lasts about this long (then commits and starts the next): a
# request waiting for SQLite's write lock waits no longer, and commits stay few (one per row
# would make the send slower).
STEP_SECONDS = 0.5
STEP_ROWS = 100  # at most this many rows in one transaction
MAX_UPLOAD_READ = MAX_BYTES + 1  # read one byte more than allowed, to tell "too large"
ACTIONS: dict[str, Action] = {
    Batch.Kind.RESELLER: Action.INVITE_RESELLER,
    Batch.Kind.CUSTOMER: Action.INVITE_CUSTOMER,
}
# The limit (PORTAL_RATE_LIMITS) each file's invitations count against, with those typed in the
# form: the single-invitation services consume it.
LIMITS: dict[str, str] = {
    Batch.Kind.RESELLER: "reseller_invitation",
    Batch.Kind.CUSTOMER: "customer_invitation",
}
RESUMED_PER_SWEEP = 100
SEND_TASK = "relationships.tasks.relationships_bulk_invitations_send"


def bulk_send_limit(kind: str) -> Rate | None:
    """How many invitations of `kind` an organization sends in a window, files included (None:
    not limited); the upload, review and progress pages say it."""
    return rate_limit_of(LIMITS[kind])


def bulk_kind_for(membership: Membership) -> str:
    """A provider invites resellers; a reseller invites customers."""
    if membership.organization.kind == membership.organization.Kind.PROVIDER:
        return Batch.Kind.RESELLER
    return Batch.Kind.CUSTOMER


def already_uploaded(*, membership: Membership, content_hash: str, kind: str) -> Batch | None:
    return (
        Batch.objects.filter(
            organization=membership.organization, kind=kind, content_hash=content_hash
        )
        .exclude(status=Batch.Status.DRAFT)
        .first()
    )


def bulk_batch_create(
    *, membership: Membership, filename: str, data: bytes, provider_id: int | None = None
) -> tuple[Batch, bool]:
    """Check the file and store it as a draft with one row per data row (its errors included).
    Returns (batch, True); when the organization already confirmed this very file, (that batch,
    False) and nothing is stored. File-level problems raise ValidationError."""
    kind = bulk_kind_for(membership)
    require(membership, ACTIONS[kind])
    checked = check_file(kind=kind, data=data, salt=str(provider_id or ""))
    earlier = already_uploaded(membership=membership, content_hash=checked.content_hash, kind=kind)
    if earlier is not None:
        return earlier, False
    with transaction.atomic():
        batch = Batch.objects.create(
            organization=membership.organization,
            kind=kind,
            provider_id=provider_id,
            created_by=membership.user,
            filename=printable(filename)[:255],
            content_hash=checked.content_hash,
            encoding=checked.encoding,
            delimiter=checked.delimiter,
            total_rows=len(checked.rows),
            invalid_rows=len(checked.invalid),
        )
        Row.objects.bulk_create(
            [
                Row(
                    batch=batch,
                    line=row.line,
                    email=row.email[:320],
                    partner_id=row.partner_id[:64],
                    company_name=row.company_name[:200],
                    status=Row.Status.INVALID if row.errors else Row.Status.WAITING,
                    message=" ".join(row.errors),
                )
                for row in checked.rows
            ],
            batch_size=1000,
        )
    return batch, True


def _own_batch_for_update(*, membership: Membership, batch_id: int) -> Batch:
    batch = (
        Batch.objects.select_for_update()
        .filter(pk=batch_id, organization=membership.organization)
        .first()
    )
    if batch is None:
        raise Batch.DoesNotExist
    require(membership, ACTIONS[batch.kind])
    return batch


def bulk_batch_confirm(*, membership: Membership, batch_id: int) -> Batch:
    """The sender confirmed the reviewed file: queue it for sending (once: a second confirm,
    or the same file confirmed in another draft, changes nothing)."""
    with transaction.atomic():
        batch = _own_batch_for_update(membership=membership, batch_id=batch_id)
        if batch.status != Batch.Status.DRAFT:
            return batch
        earlier = already_uploaded(
            membership=membership, content_hash=batch.content_hash, kind=batch.kind
        )
        if earlier is not None:
            raise ValidationError(
                _("This file was already sent on %(date)s; nothing was sent again.")
                % {"date": earlier.created_at.date().isoformat()}
            )
        rate_limit_consume(
            action="bulk_invitation", key=f"organization:{membership.organization_id}"
        )
        batch.status = Batch.Status.QUEUED
        batch.confirmed_at = timezone.now()
        try:
            with transaction.atomic():
                batch.save(update_fields=["status", "confirmed_at"])
        except IntegrityError as exc:  # the same file confirmed in another tab just now
            raise ValidationError(_("This file was already sent; nothing was sent again.")) from exc
        audit_record(
            type=AuditType.BULK_INVITATIONS_CONFIRMED,
            organization=batch.organization,
            actor=membership.user,
            batch=batch.pk,
            rows=batch.to_send,
        )
        transaction.on_commit(partial(task_queue, SEND_TASK, batch.pk))
    return batch


def _send_row(membership: Membership | None, batch: Batch, row: Row) -> None:
    """One row through the single-invitation service; its refusal becomes the row's reason, its
    note about the address (a customer organization's user) the sent row's message.
    RateLimited (the organization's limit is reached) leaves the row waiting."""
    invitation: ResellerInvitation | CustomerInvitation
    try:
        if membership is None:
            raise PermissionDenied
        if batch.kind == Batch.Kind.RESELLER:
            invitation = reseller_invitation_create(
                actor=membership.user,
                organization=membership.organization,
                email=row.email,
                partner_id=row.partner_id,
                # An address without an account gets the uploader's language.
                language=membership.user.language,
            )
        else:
            assert batch.provider_id is not None
            invitation = customer_invitation_create(
                actor=membership.user,
                organization=membership.organization,
                provider_id=batch.provider_id,
                email=row.email,
                company_name=row.company_name,
                language=membership.user.language,
            )
    except ValidationError as exc:
        row.status, row.message = Row.Status.NOT_SENT, " ".join(exc.messages)
    except PermissionDenied:
        row.status = Row.Status.NOT_SENT
        row.message = _("The person who uploaded the file may no longer send invitations.")
    else:
        row.status, row.invitation_id = Row.Status.SENT, invitation.pk
        row.message = getattr(invitation, "addressee_note", "")


def _batch_finish(*, batch_id: int) -> None:
    """No row is waiting: the batch is done (once), with its audit event and notice."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status in (Batch.Status.DRAFT, Batch.Status.DONE):
            return
        if Row.objects.filter(batch=batch, status=Row.Status.WAITING).exists():
            return  # another run is still sending: it finishes the batch
        batch.status = Batch.Status.DONE
        batch.finished_at = timezone.now()
        batch.next_send_at = None
        batch.save(update_fields=["status", "finished_at", "next_send_at"])
        audit_record(
            type=AuditType.BULK_INVITATIONS_FINISHED,
            organization=batch.organization,
            batch=batch.pk,
            sent=batch.sent,
            not_sent=batch.not_sent + batch.invalid_rows,
        )
        notify(
            organization=batch.organization,
            message=Notice(
                gettext_noop("Your file %(file)s is sent: %(sent)s invitations sent, %(not)s not."),
                {
                    "file": batch.filename,
                    "sent": batch.sent,
                    "not": batch.not_sent + batch.invalid_rows,
                },
            ),
            link=f"/bulk-invitations/{batch.pk}/",
        )


def _step_send(
    *, membership: Membership | None, batch: Batch, row_ids: list[int]
) -> tuple[int, int | None]:
    """One short transaction: send the rows of `row_ids` still waiting (locked, so two runs
    never send one twice), stopping once it has run STEP_SECONDS or the organization's limit
    is reached; their invitations, email rows, outcomes and the batch's counters commit
    together (a crash leaves them waiting, never half sent). Returns how many of `row_ids` it
    went through and, when the limit stopped it, the seconds until the limit's next window."""
    retry_after: int | None = None
    with transaction.atomic():
        began = time.monotonic()
        rows = {
            row.pk: row
            for row in Row.objects.select_for_update().filter(
                pk__in=row_ids, status=Row.Status.WAITING
            )
        }
        done: list[Row] = []
        went_through = 0
        for row_id in row_ids:
            row = rows.get(row_id)
            if row is not None:  # else another run sent it
                try:
                    _send_row(membership, batch, row)
                except RateLimited as limited:
                    retry_after = limited.retry_after
                    break
                done.append(row)
            went_through += 1
            if time.monotonic() - began >= STEP_SECONDS:
                break
        if done:
            Row.objects.bulk_update(done, ["status", "message", "invitation_id"])
            sent = sum(row.status == Row.Status.SENT for row in done)
            Batch.objects.filter(pk=batch.pk).update(
                status=Batch.Status.RUNNING,
                processed=F("processed") + len(done),
                sent=F("sent") + sent,
                not_sent=F("not_sent") + (len(done) - sent),
            )
    return went_through, retry_after


def _batch_wait(*, batch_id: int, seconds: int) -> None:
    """The organization's limit is reached: the rest of the file waits for the limit's next
    window, as a time in the database that the beat sweep (`bulk_batches_resume_due`) acts on."""
    Batch.objects.filter(
        pk=batch_id, status__in=(Batch.Status.QUEUED, Batch.Status.RUNNING)
    ).update(status=Batch.Status.RUNNING, next_send_at=timezone.now() + timedelta(seconds=seconds))


def bulk_batches_resume_due() -> int:
    """Beat, every minute: queue the sending of each file whose wait for the limit's next window
    is over. Claimed with skip_locked and cleared in one transaction, so two sweeps never queue
    one file twice. Returns how many it queued."""
    with transaction.atomic():
        due = list(
            Batch.objects.select_for_update(skip_locked=True)
            .filter(
                next_send_at__lte=timezone.now(),
                status__in=(Batch.Status.QUEUED, Batch.Status.RUNNING),
            )
            .order_by("next_send_at")
            .values_list("pk", flat=True)[:RESUMED_PER_SWEEP]
        )
        Batch.objects.filter(pk__in=due).update(next_send_at=None)
        for batch_id in due:
            transaction.on_commit(partial(task_queue, SEND_TASK, batch_id))
    return len(due)


def bulk_batch_send_chunk(*, batch_id: int, chunk: int = CHUNK) -> bool:
    """Send the next `chunk` waiting rows in short transactions of about STEP_SECONDS each
    (the web keeps writing meanwhile: on SQLite one transaction holds the whole database),
    pausing now and then on SQLite for waiting writers (portal/turns.py); True while rows
    remain and the limit allows more. Rows already sent are never waiting again, so a rerun
    sends nothing twice."""
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status in (Batch.Status.DRAFT, Batch.Status.DONE):
        return False
    row_ids = list(
        Row.objects.filter(batch=batch, status=Row.Status.WAITING)
        .order_by("line")
        .values_list("pk", flat=True)[:chunk]
    )
    if not row_ids:
        _batch_finish(batch_id=batch_id)
        return False
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(organization_id=batch.organization_id, user_id=batch.created_by_id)
        .first()
    )
    turns = WriterTurns()
    with outbox_drains_batched():  # one drain for the chunk's emails, not one per step
        while row_ids:
            went_through, retry_after = _step_send(
                membership=membership, batch=batch, row_ids=row_ids[:STEP_ROWS]
            )
            if retry_after is not None:
                _batch_wait(batch_id=batch_id, seconds=retry_after)
                return False
            row_ids = row_ids[went_through:]
            turns.take()
    return True


def bulk_batch_send(*, batch_id: int) -> None:
    """Every chunk of a confirmed batch, until none is left or the organization's limit stops
    it for this window (the task's body)."""
    while bulk_batch_send_chunk(batch_id=batch_id):
        pass
