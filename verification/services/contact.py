"""The primary contact's confirmation link: issue, look up, confirm, deny, resend, change.

Keys come from `secrets.token_urlsafe(32)` (256 bits); only their SHA-256 is stored and the
comparison is constant-time. A new link revokes the previous ones."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from enrollment.models import LegalProfile
from enrollment.rules import PRIMARY_CONTACT_FIELDS, primary_contact_validate
from portal.models import User
from portal.outbox import absolute_url
from portal.policy import Action, require_member
from portal.ratelimit import RateLimited

from ..models import CONTACT_CHANGE_STATUSES, CaseEvent, ContactConfirmation, VerificationCase
from .checks import case_checks_queue
from .core import ensure_status, lock_case, record, schedule_next

logger = logging.getLogger(__name__)
Status = VerificationCase.Status
Event = CaseEvent.Type

LINK_VALID_DAYS = 7
NEW_LINKS_PER_HOUR = 3


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"
    BAD = "bad"


class ContactLinkInvalid(Exception):
    def __init__(self, state: LinkState, confirmation: ContactConfirmation | None = None):
        super().__init__(state.value)
        self.state = state
        self.confirmation = confirmation


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def confirmation_email_context(key: str) -> dict[str, Any]:
    return {"link": absolute_url(f"/verify-contact/{key}/"), "valid_days": LINK_VALID_DAYS}


def contact_link_issue(*, case: VerificationCase, email: str, now: datetime | None = None) -> str:
    """A fresh key for the primary contact; earlier unused ones stop working. Call inside the
    transaction that emails it."""
    now = now or timezone.now()
    ContactConfirmation.objects.filter(
        case=case, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    key = secrets.token_urlsafe(32)
    ContactConfirmation.objects.create(
        case=case,
        email=email,
        key_hash=_digest(key),
        created_at=now,
        expires_at=now + timedelta(days=LINK_VALID_DAYS),
    )
    return key


def _token_state(confirmation: ContactConfirmation, now: datetime | None = None) -> LinkState:
    now = now or timezone.now()
    if confirmation.used_at:
        return LinkState.USED
    if confirmation.revoked_at:
        return LinkState.REPLACED
    if confirmation.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.VALID


def contact_link_lookup(*, key: str) -> tuple[ContactConfirmation | None, LinkState]:
    """The confirmation behind a key and its state (BAD when there is none)."""
    if not key or len(key) > 100:
        return None, LinkState.BAD
    digest = _digest(key)
    confirmation = (
        ContactConfirmation.objects.select_related(
            "case", "case__organization", "case__organization__legal_profile"
        )
        .filter(key_hash=digest)
        .first()
    )
    if confirmation is None or not hmac.compare_digest(confirmation.key_hash, digest):
        return None, LinkState.BAD
    return confirmation, contact_link_state(confirmation)


def contact_link_state(confirmation: ContactConfirmation, now: datetime | None = None) -> LinkState:
    """A link is only usable while its case waits for the primary contact."""
    state = _token_state(confirmation, now)
    status = confirmation.case.status
    if state == LinkState.VALID and status != Status.EMAIL_PENDING:
        return LinkState.EXPIRED if status == Status.EXPIRED else LinkState.USED
    return state


def _use_link(key: str) -> tuple[VerificationCase, ContactConfirmation]:
    confirmation, state = contact_link_lookup(key=key)
    if confirmation is None:
        raise ContactLinkInvalid(LinkState.BAD)
    case = lock_case(confirmation.case_id)
    confirmation = ContactConfirmation.objects.select_for_update().get(pk=confirmation.pk)
    state = contact_link_state(confirmation)
    if state != LinkState.VALID:
        raise ContactLinkInvalid(state, confirmation)
    ensure_status(case, {Status.EMAIL_PENDING})
    confirmation.used_at = timezone.now()
    confirmation.save(update_fields=["used_at"])
    ContactConfirmation.objects.filter(
        case=case, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=confirmation.used_at)
    return case, confirmation


def case_contact_confirm(*, key: str) -> VerificationCase:
    """The primary contact confirmed both facts: run the automated checks."""
    with transaction.atomic():
        case, confirmation = _use_link(key)
        record(
            case=case,
            event_type=Event.CONTACT_CONFIRMED,
            actor=None,
            to_status=Status.CHECKING,
            details={"email": confirmation.email},
            email="verification_checking",
        )
        transaction.on_commit(lambda: case_checks_queue(case.pk))
    return case


def case_contact_deny(*, key: str) -> VerificationCase:
    """ "This wasn't me": the case stops (withdrawn)."""
    with transaction.atomic():
        case, confirmation = _use_link(key)
        record(
            case=case,
            event_type=Event.CONTACT_DENIED,
            actor=None,
            to_status=Status.WITHDRAWN,
            details={"email": confirmation.email},
            email="verification_withdrawn",
        )
    return case


def _take_rate_slot(case: VerificationCase) -> None:
    key = f"verification:new-link:{case.pk}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > NEW_LINKS_PER_HOUR:
        raise RateLimited("verification-new-link", retry_after=3600)


def _send_new_link(*, case: VerificationCase, actor: User | None, reason: str) -> None:
    profile = case.organization.legal_profile
    key = contact_link_issue(case=case, email=profile.primary_contact_email)
    record(
        case=case,
        event_type=Event.CONTACT_EMAILED,
        actor=actor,
        details={"email": profile.primary_contact_email, "reason": reason},
        email="verification_contact_confirm",
        email_context=confirmation_email_context(key),
    )


def case_contact_resend(*, actor: User, case: VerificationCase) -> VerificationCase:
    """The Global admin asks for the confirmation email again (rate-limited)."""
    require_member(actor=actor, organization=case.organization, action=Action.MANAGE_VERIFICATION)
    with transaction.atomic():
        case = lock_case(case)
        ensure_status(case, {Status.EMAIL_PENDING})
        _take_rate_slot(case)
        _send_new_link(case=case, actor=actor, reason="resent")
    return case


def contact_link_request_new(*, key: str) -> VerificationCase | None:
    """From an expired or replaced link's page: a new link to the current primary contact, if
    the case still waits for one. Rate-limited per case."""
    confirmation, state = contact_link_lookup(key=key)
    if confirmation is None or state not in (LinkState.EXPIRED, LinkState.REPLACED):
        return None
    with transaction.atomic():
        case = lock_case(confirmation.case_id)
        if case.status != Status.EMAIL_PENDING:
            return None
        _take_rate_slot(case)
        _send_new_link(case=case, actor=None, reason="requested")
    return case


def contact_link_request_by_email(*, email: str) -> None:
    """From a bad link's page: a new link if `email` is the primary contact of a case waiting
    for one. Says nothing either way (no address probing); rate-limited per case."""
    profile = (
        LegalProfile.objects.filter(
            primary_contact_email__iexact=email.strip(),
            organization__verification_case__status=Status.EMAIL_PENDING,
        )
        .select_related("organization__verification_case")
        .first()
    )
    if profile is None:
        return
    with transaction.atomic():
        case = lock_case(profile.organization.verification_case)
        if case.status != Status.EMAIL_PENDING:
            return
        try:
            _take_rate_slot(case)
        except RateLimited:
            logger.info("verification: new-link requests for case %s rate-limited", case.pk)
            return
        _send_new_link(case=case, actor=None, reason="requested")


def case_contact_change(
    *,
    actor: User,
    case: VerificationCase,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
) -> VerificationCase:
    """The Global admin names another primary contact; the confirmation goes to them. Also
    reopens a withdrawn or expired case. The contact passes the same rules as on Legal info
    and in the wizard (`enrollment.rules.primary_contact_validate`)."""
    require_member(actor=actor, organization=case.organization, action=Action.MANAGE_VERIFICATION)
    with transaction.atomic():
        case = lock_case(case)
        ensure_status(case, CONTACT_CHANGE_STATUSES)
        profile = case.organization.legal_profile
        contact = primary_contact_validate(
            profile=profile, first_name=first_name, last_name=last_name, email=email, phone=phone
        )
        previous = profile.primary_contact_email
        for argument, field in PRIMARY_CONTACT_FIELDS.items():
            setattr(profile, field, contact[argument])
        profile.updated_at = timezone.now()
        profile.save(
            update_fields=[
                "primary_contact_first_name",
                "primary_contact_last_name",
                "primary_contact_email",
                "primary_contact_phone",
                "updated_at",
            ]
        )
        key = contact_link_issue(case=case, email=profile.primary_contact_email)
        if case.status == Status.EMAIL_PENDING:  # a new person: the wait starts again
            case.waiting_since, case.reminders_sent = timezone.now(), 0
            schedule_next(case, case.waiting_since)
        record(
            case=case,
            event_type=Event.CONTACT_CHANGED,
            actor=actor,
            to_status=Status.EMAIL_PENDING,
            details={"previous_email": previous, "email": profile.primary_contact_email},
            email="verification_contact_confirm",
            email_context=confirmation_email_context(key),
        )
    return case
