"""Webhooks: endpoints (register, rotate the secret, test, delete, enable again) and the
delivery of subscribed audit events from a transactional outbox.

Never lost: `webhook_deliveries_for_events` runs inside the transaction that records an audit
event (portal.audit's hook) and writes one `WebhookDelivery` row per subscribed enabled endpoint
of the event's organization; the rows commit or roll back with the change. A drain is queued on
commit, and the beat sweep (`webhooks_sweep`, every minute) queues one whenever rows are due.
A worker claims due rows with `SELECT ... FOR UPDATE SKIP LOCKED` (two workers never hold the
same row), POSTs each signed as Standard Webhooks says and records the answer. A failed attempt
is retried with exponential backoff; a row whose worker died is claimed again after
WEBHOOKS_CLAIM_TIMEOUT_SECONDS. A receiver may see one event twice (a worker killed between the
receiver's answer and its record), always with the same `webhook-id`: receivers deduplicate on it.

An endpoint that fails WEBHOOKS_DISABLE_AFTER attempts in a row is disabled and its Global admins
get an email (through the email outbox); its undelivered rows wait until it is enabled again."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import math
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from portal.audit import audit_record
from portal.dispatch import task_queue
from portal.models import AuditEvent, User
from portal.policy import Action, require_member

from . import emails
from .events import SUBSCRIBABLE, TEST_EVENT_TYPE, AuditType
from .models import WebhookDelivery, WebhookEndpoint
from .targets import target_refusal

logger = logging.getLogger(__name__)

_SUBSCRIBABLE = frozenset(SUBSCRIBABLE)
DRAIN_TASK = "webhooks.tasks.webhooks_drain"
USER_AGENT = "CSP-Partner-Portal-Webhooks/1"
EXCERPT_LENGTH = 200


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 24 random bytes (192 bits)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _event_types_checked(event_types: Iterable[str]) -> list[str]:
    chosen = sorted(set(event_types))
    if not chosen:
        raise ValidationError({"event_types": _("Choose at least one event.")})
    unknown = [code for code in chosen if code not in _SUBSCRIBABLE]
    if unknown:
        raise ValidationError({"event_types": _("Choose events from the list.")})
    return chosen


def webhook_endpoint_create(
    *, actor: User, organization: Any, url: str, event_types: Iterable[str]
) -> WebhookEndpoint:
    """Register an endpoint; its secret is shown once, by the caller, from the returned row."""
    refusal = target_refusal(url)
    if refusal:
        raise ValidationError({"url": refusal})
    chosen = _event_types_checked(event_types)
    with transaction.atomic():
        require_member(actor=actor, organization=organization, action=Action.MANAGE_WEBHOOKS)
        endpoint = WebhookEndpoint(
            organization=organization,
            url=url,
            event_types=chosen,
            secret=webhook_secret_new(),
            created_by=actor,
        )
        endpoint.full_clean()
        endpoint.save()
        audit_record(
            type=AuditType.ENDPOINT_CREATED,
            organization=organization,
            actor=actor,
            endpoint=endpoint.pk,
            url=url,
            event_types=chosen,
        )
    return endpoint


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log (undelivered events are dropped with it)."""
    with transaction.atomic():
        require_member(
            actor=actor, organization=endpoint.organization, action=Action.MANAGE_WEBHOOKS
        )
        audit_record(
            type=AuditType.ENDPOINT_DELETED,
            organization=endpoint.organization,
            actor=actor,
            endpoint=endpoint.pk,
            url=endpoint.url,
        )
        endpoint.delete()


def webhook_secret_rotate(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret signs from now; the current one signs too (a second signature in
    `webhook-signature`) for WEBHOOKS_ROTATION_OVERLAP_SECONDS, while the receiver switches."""
    with transaction.atomic():
        require_member(
            actor=actor, organization=endpoint.organization, action=Action.MANAGE_WEBHOOKS
        )
        endpoint = _locked(endpoint)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(
            seconds=settings.WEBHOOKS_ROTATION_OVERLAP_SECONDS
        )
        endpoint.secret = webhook_secret_new()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        audit_record(
            type=AuditType.SECRET_ROTATED,
            organization=endpoint.organization,
            actor=actor,
            endpoint=endpoint.pk,
            previous_valid_until=endpoint.previous_secret_expires_at.isoformat(),
        )
    return endpoint


def webhook_endpoint_enable(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable a disabled endpoint again: its waiting events are sent from now."""
    with transaction.atomic():
        require_member(
            actor=actor, organization=endpoint.organization, action=Action.MANAGE_WEBHOOKS
        )
        endpoint = _locked(endpoint)
        if endpoint.enabled:
            return endpoint
        endpoint.enabled = True
        endpoint.consecutive_failures = 0
        endpoint.retry_at = None
        endpoint.disabled_reason = ""
        endpoint.disabled_at = None
        endpoint.save(
            update_fields=[
                "enabled",
                "consecutive_failures",
                "retry_at",
                "disabled_reason",
                "disabled_at",
            ]
        )
        WebhookDelivery.objects.filter(
            endpoint=endpoint, status=WebhookDelivery.Status.PENDING
        ).update(next_attempt_at=timezone.now())
        audit_record(
            type=AuditType.ENDPOINT_ENABLED,
            organization=endpoint.organization,
            actor=actor,
            endpoint=endpoint.pk,
        )
        _drain_on_commit()
    return endpoint


def webhook_test_send(*, actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for this endpoint only, sent the way every event is."""
    with transaction.atomic():
        require_member(
            actor=actor, organization=endpoint.organization, action=Action.MANAGE_WEBHOOKS
        )
        endpoint = _locked(endpoint)
        if not endpoint.enabled:
            raise ValidationError(_("Enable the endpoint again before sending it a test event."))
        now = timezone.now()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            webhook_id=f"msg_test_{secrets.token_hex(12)}",
            event_type=TEST_EVENT_TYPE,
            payload={
                "type": TEST_EVENT_TYPE,
                "timestamp": now.isoformat(),
                "data": {"endpoint_id": endpoint.pk, "organization_id": endpoint.organization_id},
            },
        )
        audit_record(
            type=AuditType.TEST_SENT,
            organization=endpoint.organization,
            actor=actor,
            endpoint=endpoint.pk,
        )
        _drain_on_commit()
    return delivery


# Detail keys whose text values go out in a payload: codes, statuses and dates. Numbers and
# booleans go out under any key; other text (names, addresses, notes) never does.
_TEXT_KEYS = ("_at", "_on", "_id", "status", "sku", "term", "roles", "market", "change", "state")


def _public(value: Any, key: str) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return key.endswith(_TEXT_KEYS)
    if isinstance(value, list):
        return all(_public(item, key) for item in value)
    return False


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """What an endpoint receives about `event`: its type, time and the ids and codes of its
    details (no person's name or address: the receiver asks the API for those)."""
    details = {k: v for k, v in (event.details or {}).items() if _public(v, k)}
    return {
        "type": event.type,
        "timestamp": event.created_at.isoformat(),
        "data": {
            **details,
            "event_id": event.pk,
            "organization_id": event.organization_id,
            "actor_organization_id": event.actor_organization_id,
            "delegated": event.delegated,
        },
    }


def webhook_deliveries_for_events(events: list[AuditEvent]) -> None:
    """portal.audit's hook: in the recording's transaction, one delivery per event and
    subscribed enabled endpoint of its organization. Idempotent (`webhook_id` is the event's)."""
    if not events or events[0].type not in _SUBSCRIBABLE:
        return
    by_org: dict[int, list[AuditEvent]] = {}
    for event in events:
        if event.organization_id is not None and event.pk is not None:
            by_org.setdefault(event.organization_id, []).append(event)
    if not by_org:
        return
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id__in=list(by_org), enabled=True
        ).only("pk", "organization_id", "event_types")
        if events[0].type in endpoint.event_types
    ]
    if not endpoints:
        return
    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            webhook_id=f"msg_{event.pk}",
            event_type=event.type,
            payload=event_payload(event),
        )
        for endpoint in endpoints
        for event in by_org[endpoint.organization_id]
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    _drain_on_commit()


# Delivery ----------------------------------------------------------------------------------


def _kick_drain() -> None:
    queue_drain()


def _drain_on_commit() -> None:
    """One drain per transaction however many rows it writes (the drain takes every due row)."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(entry[1] is _kick_drain for entry in conn.run_on_commit):
        return
    transaction.on_commit(_kick_drain)


def queue_drain(countdown: float | None = None, *, scheduled: bool = False) -> None:
    """Ask a worker to send the due deliveries (`scheduled`: the one drain that comes back for
    the next retry, see `retry_scheduled_once`). A broker failure is logged, not raised: the
    rows are safe in the database and the sweep queues a drain every minute."""
    try:
        task_queue(DRAIN_TASK, *([True] if scheduled else []), countdown=countdown, retry=False)
    except Exception:  # the broker is unreachable
        logger.warning("webhooks: could not queue a drain; the sweep will", exc_info=True)


_SCHEDULED_KEY = "webhooks:retry-drain-scheduled"


def retry_scheduled_once(countdown: float) -> bool:
    """True for the one drain that may queue the retry round: every transaction queued a drain,
    and each finding a retry ahead would otherwise come back too (one chain per event). The mark
    lives until the scheduled drain starts (`retry_schedule_taken`) or its turn is well past; an
    unreachable cache lets every drain schedule (more drains, never fewer)."""
    try:
        return bool(cache.add(_SCHEDULED_KEY, True, timeout=math.ceil(countdown) + 30))
    except Exception:
        logger.warning("webhooks: cache unavailable; scheduling the retry anyway", exc_info=True)
        return True


def retry_schedule_taken() -> None:
    try:
        cache.delete(_SCHEDULED_KEY)
    except Exception:
        logger.warning("webhooks: cache unavailable", exc_info=True)


def retry_delay(attempts: int) -> timedelta:
    seconds = settings.WEBHOOKS_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.WEBHOOKS_RETRY_MAX_SECONDS))


def _due() -> Any:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.WEBHOOKS_CLAIM_TIMEOUT_SECONDS)
    return WebhookDelivery.objects.filter(endpoint__enabled=True).filter(
        Q(
            Q(endpoint__retry_at__isnull=True) | Q(endpoint__retry_at__lte=now),
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
        )
        | Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=stale)
    )


def webhook_claim_batch(*, limit: int) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries (oldest turn first); rows another worker holds are
    skipped, not waited for."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            _due()
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not claimed:
            return []
        WebhookDelivery.objects.filter(pk__in=claimed).update(
            status=WebhookDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(
            WebhookDelivery.objects.filter(pk__in=claimed)
            .select_related("endpoint")
            .order_by("next_attempt_at", "pk")
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following it could lead anywhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def signed_headers(endpoint: WebhookEndpoint, webhook_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation's overlap, signed with both secrets."""
    moment = datetime.now(UTC)
    keys = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > timezone.now()
    ):
        keys.append(endpoint.previous_secret)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": " ".join(Webhook(k).sign(webhook_id, moment, body) for k in keys),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _excerpt(data: bytes) -> str:
    return " ".join(data.decode("utf-8", "replace").split())[:EXCERPT_LENGTH]


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int | None, str, int]:
    """(HTTP status or None, excerpt of the answer or of the error, latency in ms)."""
    # http(s) only: target_refusal() checked the scheme just before.
    request = urllib.request.Request(  # noqa: S310
        url, data=body.encode("utf-8"), headers=headers, method="POST"
    )
    started = time.monotonic()
    status: int | None
    try:
        with _opener.open(request, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS) as response:
            status, excerpt = response.status, _excerpt(response.read(EXCERPT_LENGTH * 2))
    except urllib.error.HTTPError as error:
        status = error.code
        try:
            excerpt = _excerpt(error.read(EXCERPT_LENGTH * 2))
        except (OSError, http.client.HTTPException):
            excerpt = ""
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        status = None
        reason = getattr(error, "reason", None) or error
        excerpt = f"{type(error).__name__}: {reason}"[:EXCERPT_LENGTH]
    return status, excerpt, round((time.monotonic() - started) * 1000)


def _attempt(delivery: WebhookDelivery) -> bool:
    """POST one delivery and record the answer; True when the receiver took it (2xx)."""
    endpoint = delivery.endpoint
    refusal = target_refusal(endpoint.url)
    if refusal:
        status, excerpt, latency = None, refusal, 0
    else:
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
        headers = signed_headers(endpoint, delivery.webhook_id, body)
        status, excerpt, latency = _post(endpoint.url, body, headers)
    now = timezone.now()
    delivered = status is not None and 200 <= status < 300
    fields: dict[str, Any] = {
        "last_status_code": status,
        "latency_ms": latency,
        "response_excerpt": excerpt[:EXCERPT_LENGTH],
        "claimed_at": None,
    }
    if delivered:
        fields.update(status=WebhookDelivery.Status.SENT, sent_at=now)
    elif delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.FAILED)
    else:
        fields.update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=now + retry_delay(delivery.attempts),
        )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)
    if delivered:
        WebhookEndpoint.objects.filter(
            Q(consecutive_failures__gt=0) | Q(retry_at__isnull=False), pk=endpoint.pk
        ).update(consecutive_failures=0, retry_at=None)
    else:
        _count_failure(endpoint, status=status, excerpt=excerpt)
    return delivered


def _count_failure(endpoint: WebhookEndpoint, *, status: int | None, excerpt: str) -> None:
    with transaction.atomic():
        endpoint = _locked(endpoint)
        endpoint.consecutive_failures += 1
        endpoint.retry_at = timezone.now() + retry_delay(endpoint.consecutive_failures)
        endpoint.save(update_fields=["consecutive_failures", "retry_at"])
        if not endpoint.enabled or endpoint.consecutive_failures < settings.WEBHOOKS_DISABLE_AFTER:
            return
        answer = str(status) if status is not None else excerpt[:80]
        endpoint.enabled = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = (
            f"{endpoint.consecutive_failures} failed attempts in a row; last: {answer}"
        )[:200]
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
        audit_record(
            type=AuditType.ENDPOINT_DISABLED,
            organization=endpoint.organization,
            actor=None,
            actor_organization=None,
            endpoint=endpoint.pk,
            failures=endpoint.consecutive_failures,
        )
        emails.send_endpoint_disabled(endpoint)


def _release(delivery: WebhookDelivery, *, at: datetime) -> None:
    """Hand back a claimed row untried (its endpoint just failed): the attempt is not counted."""
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.SENDING).update(
        status=WebhookDelivery.Status.PENDING,
        claimed_at=None,
        attempts=F("attempts") - 1,
        next_attempt_at=at,
    )


def webhooks_drain(*, budget_seconds: float = 30.0) -> tuple[int, timedelta | None, bool]:
    """Send due deliveries batch by batch: (delivered, time until the earliest retry, more due
    after the time budget). Within a batch, an endpoint that fails is not tried again: its other
    rows wait for the same retry time, and so do its new events until its `retry_at` (one
    failure per endpoint and round, not one per row)."""
    started = time.monotonic()
    delivered = 0
    more = False
    while True:
        batch = webhook_claim_batch(limit=settings.WEBHOOKS_BATCH_SIZE)
        if not batch:
            break
        failing: dict[int, datetime] = {}
        for delivery in batch:
            if delivery.endpoint_id in failing:
                _release(delivery, at=failing[delivery.endpoint_id])
            elif _attempt(delivery):
                delivered += 1
            else:
                failing[delivery.endpoint_id] = delivery.next_attempt_at
        if time.monotonic() - started > budget_seconds:
            more = True
            break
    return delivered, _next_retry_in(), more


def _next_retry_in() -> timedelta | None:
    """Until the earliest pending delivery's turn (its own and its endpoint's)."""
    earliest = (
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, endpoint__enabled=True
        )
        .annotate(
            turn=Greatest("next_attempt_at", Coalesce("endpoint__retry_at", "next_attempt_at"))
        )
        .order_by("turn")
        .values_list("turn", flat=True)
        .first()
    )
    if earliest is None:
        return None
    return max(earliest - timezone.now(), timedelta(0))


def webhooks_sweep() -> int:
    """Beat: queue a drain when deliveries are due (a drain lost with the broker, a retry whose
    time came, a row claimed by a worker that died). Returns how many are due."""
    due = _due().count()
    if due:
        queue_drain()
    return due
