"""The email outbox: write a message row inside the caller's transaction, send it from a worker.

Never lost: the row is committed with the change that caused it, and `outbox_sweep` (beat, every
minute) queues a drain whenever rows are due (never queued, failed earlier, or claimed by a
worker that died). Never sent twice: the idempotency key is unique; a worker claims due rows in
batches with `SELECT ... FOR UPDATE SKIP LOCKED` so two workers never hold the same row; a row
with `sent_at` is never claimed again; and once the SMTP server accepted messages the worker
records them as sent (every `OUTBOX_MARK_EVERY` messages and at the end of the batch), retrying
through a database outage before it sends more or lets the batch go. Only a worker killed
between the server's "250" and that record can cause a second copy: at most `OUTBOX_MARK_EVERY`
messages per worker process, each with the same Message-ID as the first (receiving servers
drop such copies). Retries back off exponentially per message up to a cap.

Fast: one Celery task drains many messages, claiming `OUTBOX_BATCH_SIZE` rows at a time and
sending each batch over one SMTP connection."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import smtplib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .dispatch import task_queue
from .models import Organization, OutboxMessage
from .templatetags.portal_formats import one_full_stop

logger = logging.getLogger(__name__)


# The request being served (set by `RequestOriginMiddleware`): its origin, for hosts in
# ALLOWED_HOSTS, is worked out only when an email is queued; emails queued outside a request
# (tasks, beat, commands) use SITE_URL.
request_origin: ContextVar[HttpRequest | None] = ContextVar("request_origin", default=None)


def _origin_of(request: HttpRequest) -> str | None:
    try:
        return request.build_absolute_uri("/").rstrip("/")
    except DisallowedHost:
        return None


def site_origin() -> str:
    """Where the portal is served: the request's own origin when one is at hand, so a link in
    an email opens on the host and port the sender used; else SITE_URL."""
    request = request_origin.get()
    return (_origin_of(request) if request is not None else None) or settings.SITE_URL


def absolute_url(path: str) -> str:
    """The one way an email builds a link."""
    return f"{site_origin()}{path}"


def render_email(*, template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/emails/<template>` in `language`."""
    with translation.override(language):
        ctx = {"site_url": site_origin(), **context}
        subject = one_full_stop(render_to_string(f"emails/{template}_subject.txt", ctx).strip())
        text = one_full_stop(render_to_string(f"emails/{template}.txt", ctx))
        html = one_full_stop(
            render_to_string(f"emails/{template}.html", {**ctx, "preheader": preheader_of(text)})
        )
    return " ".join(subject.split()), text, html


def preheader_of(text: str, limit: int = 140) -> str:
    """The inbox's preview line: the text part's first paragraph that says something (a short
    greeting such as "Hello Nadia," is skipped), cut at a word."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = [p for p in paragraphs if not (len(p) < 40 and p.endswith(","))]
    first = (body or paragraphs or [""])[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def outbox_enqueue(
    *,
    key: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str = "en",
    organization: Organization | None = None,
) -> OutboxMessage:
    """Write one message (once per `key`) and queue its sending after the commit."""
    subject, text, html = render_email(template=template, context=context, language=language)
    return outbox_write(
        key=key,
        to=to,
        template=template,
        context=context,
        language=language,
        organization=organization,
        subject=subject,
        text=text,
        html=html,
    )


def outbox_write(
    *,
    key: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    organization: Organization | None,
    subject: str,
    text: str,
    html: str,
) -> OutboxMessage:
    existing = OutboxMessage.objects.filter(idempotency_key=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                idempotency_key=key,
                to_email=to,
                template=template,
                language=language,
                context=context,
                organization=organization,
                subject=subject[:300],
                body_text=text,
                body_html=html,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(idempotency_key=key)
    _drain_on_commit()
    return message


def _kick_drain() -> None:
    queue_drain()


# Inside `outbox_drains_batched()`: whether a message was written (one drain at the end).
_batched: ContextVar[list[bool] | None] = ContextVar("outbox_batched", default=None)


@contextmanager
def outbox_drains_batched() -> Iterator[None]:
    """Messages written by the many short transactions of one job (a bulk file sends a row per
    transaction) queue one drain when the block ends, not one per transaction: the drain takes
    every due row, and the sweeper queues one every minute should this one be lost."""
    token = _batched.set([False])
    try:
        yield
    finally:
        written = _batched.get()
        _batched.reset(token)
        if written and written[0]:
            queue_drain()


def _drain_on_commit() -> None:
    """One drain per transaction, however many messages it writes: the drain takes every due
    row. (A callback dropped by a rolled-back savepoint is gone from `run_on_commit`, so the
    next write registers it again.)"""
    batched = _batched.get()
    if batched is not None:
        batched[0] = True
        return
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(entry[1] is _kick_drain for entry in conn.run_on_commit):
        return
    transaction.on_commit(_kick_drain)


def queue_drain(countdown: float | None = None) -> None:
    """Ask a worker to send the due messages. A broker failure is logged, not raised: the rows
    are safe in the database and the sweeper queues a drain every minute."""
    try:
        task_queue("portal.tasks.outbox_drain", countdown=countdown, retry=False)
    except Exception:  # the broker is unreachable
        logger.warning("outbox: could not queue a drain; the sweeper will", exc_info=True)


def _retry_delay(attempts: int) -> timedelta:
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def _due(now: Any) -> tuple[Any, Any]:
    """(pending rows whose turn has come, rows claimed by a worker that never reported back)."""
    stale = now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
    pending = unsent.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
    abandoned = unsent.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=stale)
    return pending, abandoned


def outbox_claim_batch(*, limit: int, ids: Iterable[int] | None = None) -> list[OutboxMessage]:
    """Take up to `limit` due rows for sending (oldest turn first). Rows another worker holds
    are skipped, not waited for. `ids` restricts the claim to those rows."""
    now = timezone.now()
    with transaction.atomic():
        pending, abandoned = _due(now)
        if ids is not None:
            wanted = list(ids)
            pending, abandoned = pending.filter(pk__in=wanted), abandoned.filter(pk__in=wanted)
        claimed = list(
            pending.select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if len(claimed) < limit:
            claimed += list(
                abandoned.select_for_update(skip_locked=True)
                .order_by("claimed_at", "pk")
                .values_list("pk", flat=True)[: limit - len(claimed)]
            )
        if not claimed:
            return []
        OutboxMessage.objects.filter(pk__in=claimed).update(
            status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(OutboxMessage.objects.filter(pk__in=claimed).order_by("next_attempt_at", "pk"))


def message_id_header(pk: int, key: str) -> str:
    """The same for every attempt at one row, so a receiving server can drop a second copy.
    RFC 5322's `<id-left@id-right>`: the idempotency key (colons, spaces, any length) enters as
    a hash, the right part is the sending domain."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"<outbox-{pk}-{digest}@{_message_id_domain()}>"


def _message_id_domain() -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or urlsplit(settings.SITE_URL).hostname or "localhost"
    return domain.encode("idna").decode("ascii") if not domain.isascii() else domain


def _header_address(address: str) -> str:
    """`Name <local@domain>` for a header: a non-ASCII name as an encoded word, the domain in
    IDNA (a non-ASCII local part is refused by the backend before this matters)."""
    name, addr = parseaddr(address)
    local, _, domain = addr.rpartition("@")
    if domain and not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return formataddr((name, f"{local}@{domain}" if local else addr), charset="utf-8")


def _header(name: str, value: str) -> bytes:
    value = " ".join(str(value).split())  # one line: no header injection
    if not value.isascii():
        value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {value}\r\n".encode("ascii")


def _text_part(content_type: str, text: str) -> bytes:
    """A MIME part: plain 7-bit text when it is ASCII in short lines (readable as is, e.g. by
    the console backend of `make run`), base64 otherwise."""
    lines = re.split(r"\r\n|\r|\n", text)
    if text.isascii() and all(len(line) <= 990 for line in lines):
        encoding, body = "7bit", ("\r\n".join(lines) + "\r\n").encode("ascii")
    else:
        encoding = "base64"
        body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii") + body


class _Wire:
    """A serialized message: what Django's mail backends use of `EmailMessage.message()`."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def as_bytes(self, *args: Any, **kwargs: Any) -> bytes:
        return self.data

    def as_string(self, *args: Any, **kwargs: Any) -> str:
        return self.data.decode("ascii")

    def get_charset(self) -> None:
        return None


class OutboxEmail(EmailMultiAlternatives):
    """An outbox message for Django's mail backends, serialized straight to SMTP's wire format
    (MIME 1.0, text and HTML parts, CRLF): several times cheaper than the email
    package's, whose header registry costs milliseconds per message, and a worker sends
    thousands. Text and HTML only, no files."""

    def message(self, *, policy: Any = None) -> Any:
        head = [
            _header("Subject", str(self.subject)),
            _header("From", _header_address(self.from_email)),
            _header("To", ", ".join(_header_address(to) for to in self.to)),
            _header("Date", formatdate(localtime=False)),
            *(_header(name, value) for name, value in self.extra_headers.items()),
            b"MIME-Version: 1.0\r\n",
        ]
        text = _text_part("text/plain", str(self.body))
        html = [content for content, mimetype in self.alternatives if mimetype == "text/html"]
        if not html:
            return _Wire(b"".join(head) + text)
        boundary = f"--outbox_{secrets.token_hex(12)}".encode("ascii")  # random: not in the text
        return _Wire(
            b"".join(head)
            + b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n\r\n'
            + b"--" + boundary + b"\r\n" + text
            + b"--" + boundary + b"\r\n" + _text_part("text/html", str(html[0]))
            + b"--" + boundary + b"--\r\n"
        )  # fmt: skip


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    email_message = OutboxEmail(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={
            "Message-ID": message_id_header(message.pk, message.idempotency_key),
            "Content-Language": message.language or settings.LANGUAGE_CODE,
        },
    )
    if message.body_html:
        email_message.attach_alternative(message.body_html, "text/html")
    return email_message


def _until_database_answers[T](write: Callable[[], T], what: str) -> T:
    """Run `write` (one statement or transaction), retrying with a capped backoff while the
    database is unreachable (restarted, failed over) for up to OUTBOX_DB_RETRY_SECONDS."""
    deadline = time.monotonic() + settings.OUTBOX_DB_RETRY_SECONDS
    pause = 0.25
    while True:
        try:
            return write()
        except DatabaseError:
            if time.monotonic() > deadline:
                raise
            logger.warning("outbox: database unavailable while %s; retry in %.1fs", what, pause)
            connection.close()  # a broken connection is replaced on the next query
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
            close_old_connections()


# Errors about one message (an address the backend refuses, an SMTP reply about it): the
# connection is still good for the next one.
_MESSAGE_ERRORS = (
    ValueError,
    UnicodeError,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


class _Batch:
    """The claimed rows of one batch and what happened to each."""

    def __init__(self, messages: list[OutboxMessage]) -> None:
        self.messages = messages
        self.unrecorded: list[int] = []  # accepted by the server, not yet marked SENT
        self.retry_in: timedelta | None = None
        self.broken = False  # the server is down or hung up: stop draining until the backoff
        self.renewed_at = time.monotonic()  # when the claim on the batch was last renewed

    def record_sent(self) -> None:
        """Mark the accepted messages SENT (retrying through a database outage). Now and then
        (a quarter of the claim timeout) also renew the claim on the rest of the batch, so no
        sweeper takes them while this worker is still sending."""
        if not self.unrecorded:
            return
        sent, self.unrecorded = self.unrecorded, []
        rest = [m.pk for m in self.messages]
        renew = time.monotonic() - self.renewed_at > settings.OUTBOX_CLAIM_TIMEOUT_SECONDS / 4

        def write() -> None:
            now = timezone.now()
            OutboxMessage.objects.filter(pk__in=sent).update(
                status=OutboxMessage.Status.SENT, sent_at=now, last_error="", claimed_at=None
            )
            if renew and rest:
                OutboxMessage.objects.filter(
                    pk__in=rest, status=OutboxMessage.Status.SENDING
                ).update(claimed_at=now)

        _until_database_answers(write, "recording sent messages")
        if renew:
            self.renewed_at = time.monotonic()

    def release(self, message: OutboxMessage, exc: BaseException, *, tried: bool) -> None:
        """Give a message back for a later attempt, with its backoff."""
        delay = _retry_delay(message.attempts if tried else max(message.attempts - 1, 1))
        error = f"{type(exc).__name__}: {exc}"[:2000]

        def write() -> None:
            OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
                status=OutboxMessage.Status.PENDING,
                claimed_at=None,
                last_error=error,
                next_attempt_at=timezone.now() + delay,
                attempts=F("attempts") if tried else F("attempts") - 1,
            )

        _until_database_answers(write, "rescheduling a message")
        if tried:
            logger.warning("outbox: sending %s failed (%s); retry in %s", message.pk, exc, delay)
        self.retry_in = delay if self.retry_in is None else min(self.retry_in, delay)


def outbox_send_batch(messages: list[OutboxMessage]) -> tuple[timedelta | None, bool]:
    """Send claimed rows over one SMTP connection. Returns (the earliest retry delay if any
    message must be tried again, whether the server itself failed)."""
    batch = _Batch(list(messages))
    mark_every = max(settings.OUTBOX_MARK_EVERY, 1)
    mailer = mailers.default
    try:
        try:
            mailer.open()
        except Exception as exc:  # server down: nothing was tried
            batch.broken = True
            for message in batch.messages:
                batch.release(message, exc, tried=True)
            batch.messages = []
        while batch.messages:
            message = batch.messages.pop(0)
            try:
                sent = mailer.send_messages([_email(message)])
            except _MESSAGE_ERRORS as exc:
                batch.release(message, exc, tried=True)
                continue
            except Exception as exc:  # the connection is gone: give the rest back untried
                batch.broken = True
                batch.record_sent()
                batch.release(message, exc, tried=True)
                for rest in batch.messages:
                    batch.release(rest, exc, tried=False)
                batch.messages = []
                break
            if not sent:  # nothing to send to (no recipient): never retry it
                logger.warning("outbox: message %s has no recipient", message.pk)
            batch.unrecorded.append(message.pk)
            if len(batch.unrecorded) >= mark_every:
                batch.record_sent()
        batch.record_sent()
    finally:
        try:
            mailer.close()
        except Exception:  # the server hung up already
            logger.debug("outbox: closing the SMTP connection failed", exc_info=True)
    return batch.retry_in, batch.broken


def outbox_drain(
    *, time_budget: float | None = None, on_backlog: Callable[[], None] | None = None
) -> tuple[int, timedelta | None, bool]:
    """Send due messages batch after batch until none is due or `time_budget` seconds passed.
    `on_backlog` is called once if the first batch came back full (more work than one batch:
    the caller may ask another worker process to help). Returns (messages claimed, earliest
    retry delay or None, whether due rows may remain)."""
    budget = settings.OUTBOX_DRAIN_SECONDS if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    claimed = 0
    retry_in: timedelta | None = None
    while True:
        batch = outbox_claim_batch(limit=settings.OUTBOX_BATCH_SIZE)
        if not batch:
            return claimed, retry_in, False
        if on_backlog is not None and not claimed and len(batch) == settings.OUTBOX_BATCH_SIZE:
            on_backlog()
        claimed += len(batch)
        delay, broken = outbox_send_batch(batch)
        if delay is not None:
            retry_in = delay if retry_in is None else min(retry_in, delay)
        if broken:  # the server is down: stop here and come back after the backoff
            return claimed, retry_in, False
        if time.monotonic() > deadline:
            return claimed, retry_in, True


def outbox_deliver(*, message_id: int) -> Literal[True] | timedelta:
    """Send one message now if it is due. True when sent (now or before) or another worker
    holds it, a delay when it must be retried."""
    batch = outbox_claim_batch(limit=1, ids=[message_id])
    if not batch:
        return True
    delay, _broken = outbox_send_batch(batch)
    return True if delay is None else delay


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Unsent messages whose turn has come (never queued, failed earlier, or claimed by a
    worker that died)."""
    pending, abandoned = _due(timezone.now())
    ids = list(pending.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    ids += list(abandoned.order_by("claimed_at", "pk").values_list("pk", flat=True)[:limit])
    return ids


def outbox_due_count(*, cap: int = 10_000) -> int:
    """How many messages are due, counting at most `cap` of each kind (the sweep only needs a
    size, and must not scan a large backlog)."""
    pending, abandoned = _due(timezone.now())
    return pending[:cap].count() + abandoned[:cap].count()
