"""The email outbox: write a message row inside the caller's transaction, send it from a worker.

Never lost: the row is committed with the change that caused it, and `outbox_sweep` re-queues
any row a worker never picked up (broker down, worker killed). Never sent twice: the
idempotency key is unique, sending claims the row under a lock, and a row with `sent_at` is
skipped. Retries back off exponentially up to a cap."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Organization, OutboxMessage

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_email(*, template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/emails/<template>` in `language`."""
    with translation.override(language):
        ctx = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"emails/{template}_subject.txt", ctx).strip()
        text = render_to_string(f"emails/{template}.txt", ctx)
        html = render_to_string(f"emails/{template}.html", ctx)
    return " ".join(subject.split()), text, html


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
    transaction.on_commit(lambda: queue_send(message.pk))
    return message


def queue_send(message_id: int, countdown: float | None = None) -> None:
    """Hand a message to the broker. A broker failure is logged, not raised: the sweeper
    re-queues unsent rows every minute."""
    from .tasks import outbox_send

    try:
        # countdown=None is Celery's own default (send now); celery-types wants a float.
        outbox_send.apply_async(
            args=(message_id,),
            countdown=countdown,  # type: ignore[arg-type]
            retry=False,
        )
    except Exception:  # the broker is unreachable; the row is safe in the database
        logger.warning(
            "outbox: could not queue message %s; the sweeper will", message_id, exc_info=True
        )


def _retry_delay(attempts: int) -> timedelta:
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def outbox_claim(*, message_id: int) -> OutboxMessage | None:
    """Take the row for sending, or None if it is sent or another worker holds it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return None
        if (
            message.status == OutboxMessage.Status.SENDING
            and message.claimed_at
            and message.claimed_at > stale
        ):
            return None
        message.status = OutboxMessage.Status.SENDING
        message.claimed_at = now
        message.attempts += 1
        message.save(update_fields=["status", "claimed_at", "attempts"])
    return message


def outbox_deliver(*, message_id: int) -> Literal[True] | timedelta:
    """Send one message. True when sent (now or before), a delay when it must be retried."""
    message = outbox_claim(message_id=message_id)
    if message is None:
        return True
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        # A stable Message-ID lets a receiving server drop a copy if a worker died after
        # handing the message over but before recording it.
        headers={"Message-ID": f"<outbox-{message.pk}-{message.idempotency_key[:40]}@csp-portal>"},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send()
    except Exception as exc:
        delay = _retry_delay(message.attempts)
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxMessage.Status.PENDING,
            claimed_at=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + delay,
        )
        logger.warning("outbox: sending %s failed (%s); retry in %s", message.pk, exc, delay)
        return delay
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
    )
    return True


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Unsent messages whose turn has come (never queued, failed earlier, or claimed by a
    worker that died)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    pending = OutboxMessage.objects.filter(
        sent_at__isnull=True,
        status=OutboxMessage.Status.PENDING,
        next_attempt_at__lte=now,
    )
    abandoned = OutboxMessage.objects.filter(
        sent_at__isnull=True,
        status=OutboxMessage.Status.SENDING,
        claimed_at__lt=stale,
    )
    ids = list(pending.values_list("pk", flat=True)[:limit])
    ids += list(abandoned.values_list("pk", flat=True)[:limit])
    return ids
