"""GDAP: a partner's Admin agent asks a customer for named admin roles for a duration; the
customer's Global admin approves or declines; either side ends them early; the beat sweep
expires unanswered requests, warns 30 and 7 days before the end and ends (or auto-extends) them.

Each change is a named transition: it locks the row, checks the current status, writes the
audit event in both organizations' logs and queues the emails, in one transaction. What the
roles allow is the policy table's business (`portal.policy.RULES`), read per request through
the source in `delegation.gdap_selectors`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record_for
from portal.models import Organization, User
from portal.policy import (
    ACCEPTANCE_GDAP_DAYS,
    ACCEPTANCE_GDAP_ROLES,
    Action,
    require_member,
    require_privileged_change,
)
from portal.turns import WriterTurns
from relationships.models import CustomerRelationship
from relationships.selectors import customer_rows

from .. import gdap_emails as emails
from ..events import AuditType
from ..models import (
    GDAP_AUTO_EXTEND,
    GDAP_MAX_DURATION,
    GDAP_MIN_DURATION,
    GDAP_REQUEST_VALIDITY,
    GDAP_ROLES,
    GDAP_WARNING_DAYS,
    GdapRelationship,
)

Status = GdapRelationship.Status
NOT_A_CUSTOMER_MESSAGE = "Choose one of your customers."
# The name of the roles a customer approves with a reseller's invitation (a name, like the ones
# partners type: stored as written, in no reader's language).
ACCEPTANCE_GDAP_NAME = "Customer invitation"


def gdap_next_warning(relationship: GdapRelationship) -> datetime | None:
    """When the next expiry warning not yet sent is due (30, then 7 days before the end); a
    warning whose day has passed is still due (it goes out at the next sweep)."""
    assert relationship.ends_at is not None
    for days in GDAP_WARNING_DAYS:
        if days not in relationship.warnings_sent:
            due = relationship.ends_at - timedelta(days=days)
            # Relationships shorter than the warning: no 30-day warning for a 10-day grant.
            if relationship.starts_at is not None and due < relationship.starts_at:
                continue
            return due
    return None


def _schedule_active(relationship: GdapRelationship) -> None:
    warning = gdap_next_warning(relationship)
    assert relationship.ends_at is not None
    relationship.next_action_at = warning if warning is not None else relationship.ends_at


def _audit(
    relationship: GdapRelationship,
    *,
    type: str,
    actor: User | None,
    actor_organization: Organization | None,
    **details: Any,
) -> int:
    events = audit_record_for(
        type=type,
        organizations=[relationship.customer, relationship.partner],
        actor=actor,
        actor_organization=actor_organization,
        gdap=relationship.pk,
        name=relationship.name,
        roles=list(relationship.roles),
        **details,
    )
    return events[0].pk


def _validate_request(*, name: str, roles: Iterable[str], duration_days: int) -> list[str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the relationship a name.")
    elif len(name.strip()) > 50:
        errors["name"] = _("Use at most 50 characters.")
    chosen = set(roles)
    if not chosen:
        errors["roles"] = _("Select at least one role.")
    elif not chosen <= {str(role) for role in GDAP_ROLES}:
        errors["roles"] = _("Choose among the roles listed.")
    low, high = GDAP_MIN_DURATION.days, GDAP_MAX_DURATION.days
    if not low <= duration_days <= high:
        errors["duration_days"] = _("The duration is %(low)s to %(high)s days.") % {
            "low": low,
            "high": high,
        }
    if errors:
        raise ValidationError(errors)
    return [str(role) for role in GDAP_ROLES if role in chosen]


def gdap_request(
    *,
    actor: User,
    organization: Organization,
    customer_id: int,
    name: str,
    roles: Iterable[str],
    duration_days: int,
    auto_extend: bool,
) -> GdapRelationship:
    """The partner (the customer's reseller, or its provider through an active relationship)
    asks the customer for `roles` for `duration_days`; the customer's Global admins get a link
    to answer. A customer the partner does not work with is refused like a missing one."""
    membership = require_member(
        actor=actor, organization=organization, action=Action.MANAGE_DELEGATED_ACCESS
    )
    partner = membership.organization
    ordered_roles = _validate_request(name=name, roles=roles, duration_days=duration_days)
    with transaction.atomic():
        rows = customer_rows(organization=partner, customer_id=customer_id)
        if not rows:
            raise ValidationError(_(NOT_A_CUSTOMER_MESSAGE))
        customer = rows[0].customer
        now = timezone.now()
        relationship = GdapRelationship(
            key=secrets.token_urlsafe(32),
            customer=customer,
            partner=partner,
            name=name.strip(),
            roles=ordered_roles,
            duration_days=duration_days,
            auto_extend=auto_extend,
            requested_by=membership.user,
            requested_at=now,
            request_expires_at=now + GDAP_REQUEST_VALIDITY,
            next_action_at=now + GDAP_REQUEST_VALIDITY,
        )
        relationship.full_clean()
        relationship.save()
        _audit(
            relationship,
            type=AuditType.GDAP_REQUESTED,
            actor=membership.user,
            actor_organization=partner,
            duration_days=duration_days,
            auto_extend=auto_extend,
        )
        emails.send_gdap_request(relationship)
    return relationship


def gdap_approve_on_acceptance(
    *, actor: User, relationship: CustomerRelationship
) -> GdapRelationship:
    """GDAP first (DAP is retired for new relationships): the reseller's customer invitation
    asked for the least-privilege roles of `portal.policy.ACCEPTANCE_GDAP_ROLES`, and the
    customer's Global admin approved them by accepting with the box ticked. The request and its
    approval are recorded as two events, the approval by `actor` in the customer's name; the
    roles hold from now for `ACCEPTANCE_GDAP_DAYS`, then end or are requested again like any."""
    customer, reseller = relationship.customer, relationship.reseller
    membership = require_member(
        actor=actor, organization=customer, action=Action.MANAGE_PARTNER_ACCESS
    )
    roles = _validate_request(
        name=ACCEPTANCE_GDAP_NAME,
        roles=ACCEPTANCE_GDAP_ROLES,
        duration_days=ACCEPTANCE_GDAP_DAYS,
    )
    invitation = relationship.invitation
    requester = invitation.invited_by if invitation is not None else membership.user
    with transaction.atomic():
        now = timezone.now()
        ends_at = now + timedelta(days=ACCEPTANCE_GDAP_DAYS)
        requested_at = invitation.created_at if invitation is not None else now
        gdap = GdapRelationship(
            key=secrets.token_urlsafe(32),
            customer=customer,
            partner=reseller,
            name=ACCEPTANCE_GDAP_NAME,
            roles=roles,
            duration_days=ACCEPTANCE_GDAP_DAYS,
            auto_extend=False,
            status=Status.ACTIVE,
            requested_by=requester,
            requested_at=requested_at,
            request_expires_at=requested_at + GDAP_REQUEST_VALIDITY,
            answered_by=membership.user,
            answered_at=now,
            starts_at=now,
            ends_at=ends_at,
        )
        _schedule_active(gdap)
        gdap.full_clean()
        gdap.save()
        _audit(
            gdap,
            type=AuditType.GDAP_REQUESTED,
            actor=requester,
            actor_organization=reseller,
            duration_days=ACCEPTANCE_GDAP_DAYS,
            auto_extend=False,
            customer_relationship=relationship.pk,
        )
        event = _audit(
            gdap,
            type=AuditType.GDAP_APPROVED,
            actor=membership.user,
            actor_organization=customer,
            ends_at=ends_at.isoformat(),
            customer_relationship=relationship.pk,
        )
        emails.send_gdap_changed(gdap, change="approved", event_id=event)
    return gdap


def _locked(**lookup: object) -> GdapRelationship:
    relationship = (
        GdapRelationship.objects.select_for_update(of=("self",))
        .select_related("customer", "partner", "requested_by", "ended_by_organization")
        .filter(**lookup)
        .first()
    )
    if relationship is None:
        raise GdapRelationship.DoesNotExist
    return relationship


def gdap_answer_refusal(relationship: GdapRelationship, now: datetime | None = None) -> str | None:
    """Why a request can no longer be answered, or None while it can."""
    now = now or timezone.now()
    if relationship.status == Status.PENDING and relationship.request_expires_at <= now:
        return _("This request expired unanswered; %(partner)s can send a new one.") % {
            "partner": relationship.partner.legal_name
        }
    if relationship.status == Status.EXPIRED:
        return _("This request expired unanswered; %(partner)s can send a new one.") % {
            "partner": relationship.partner.legal_name
        }
    if relationship.status != Status.PENDING:
        return _("This request was already answered: %(status)s.") % {
            "status": relationship.get_status_display().lower()
        }
    return None


def _answerable(*, actor: User, organization: Organization, relationship_id: int):
    membership = require_member(
        actor=actor, organization=organization, action=Action.MANAGE_PARTNER_ACCESS
    )
    require_privileged_change(membership, partner_access=True)
    relationship = _locked(pk=relationship_id, customer=membership.organization)
    refusal = gdap_answer_refusal(relationship)
    if refusal:
        raise ValidationError(refusal)
    return membership, relationship


def gdap_approve(
    *, actor: User, organization: Organization, relationship_id: int
) -> GdapRelationship:
    """The customer's Global admin approves: the roles hold from now for the duration."""
    with transaction.atomic():
        membership, relationship = _answerable(
            actor=actor, organization=organization, relationship_id=relationship_id
        )
        now = timezone.now()
        relationship.status = Status.ACTIVE
        relationship.answered_by = membership.user
        relationship.answered_at = now
        relationship.starts_at = now
        relationship.ends_at = now + timedelta(days=relationship.duration_days)
        relationship.warnings_sent = []
        _schedule_active(relationship)
        relationship.save(
            update_fields=[
                "status",
                "answered_by",
                "answered_at",
                "starts_at",
                "ends_at",
                "warnings_sent",
                "next_action_at",
            ]
        )
        event = _audit(
            relationship,
            type=AuditType.GDAP_APPROVED,
            actor=membership.user,
            actor_organization=membership.organization,
            ends_at=relationship.ends_at.isoformat(),
        )
        emails.send_gdap_changed(relationship, change="approved", event_id=event)
    return relationship


def gdap_decline(
    *, actor: User, organization: Organization, relationship_id: int
) -> GdapRelationship:
    with transaction.atomic():
        membership, relationship = _answerable(
            actor=actor, organization=organization, relationship_id=relationship_id
        )
        relationship.status = Status.DECLINED
        relationship.answered_by = membership.user
        relationship.answered_at = timezone.now()
        relationship.next_action_at = None
        relationship.save(update_fields=["status", "answered_by", "answered_at", "next_action_at"])
        event = _audit(
            relationship,
            type=AuditType.GDAP_DECLINED,
            actor=membership.user,
            actor_organization=membership.organization,
        )
        emails.send_gdap_changed(relationship, change="declined", event_id=event)
    return relationship


def gdap_end(*, actor: User, organization: Organization, relationship_id: int) -> GdapRelationship:
    """Either side ends active roles early (the partner: its Admin agents and Global admins;
    the customer: its Global admins). A pending request is withdrawn the same way by the
    partner. The roles stop on the next request."""
    with transaction.atomic():
        if organization.kind == Organization.Kind.CUSTOMER:
            membership = require_member(
                actor=actor, organization=organization, action=Action.MANAGE_PARTNER_ACCESS
            )
            require_privileged_change(membership, partner_access=True)
            relationship = _locked(pk=relationship_id, customer=membership.organization)
            endable = {Status.ACTIVE}
        else:
            membership = require_member(
                actor=actor, organization=organization, action=Action.MANAGE_DELEGATED_ACCESS
            )
            relationship = _locked(pk=relationship_id, partner=membership.organization)
            endable = {Status.ACTIVE, Status.PENDING}
        if relationship.status not in endable:
            raise ValidationError(
                _("These roles already ended: %(status)s.")
                % {"status": relationship.get_status_display().lower()}
            )
        now = timezone.now()
        relationship.status = Status.ENDED
        relationship.ended_at = now
        relationship.ended_by = membership.user
        relationship.ended_by_organization = membership.organization
        relationship.next_action_at = None
        relationship.save(
            update_fields=[
                "status",
                "ended_at",
                "ended_by",
                "ended_by_organization",
                "next_action_at",
            ]
        )
        event = _audit(
            relationship,
            type=AuditType.GDAP_ENDED,
            actor=membership.user,
            actor_organization=membership.organization,
            early=True,
        )
        emails.send_gdap_changed(relationship, change="ended", event_id=event)
    return relationship


# The sweep's transitions: each takes a row the caller locked and whose next_action_at is due.


def gdap_request_expire(relationship: GdapRelationship, *, now: datetime) -> bool:
    if relationship.status != Status.PENDING or relationship.request_expires_at > now:
        return False
    relationship.status = Status.EXPIRED
    relationship.next_action_at = None
    relationship.save(update_fields=["status", "next_action_at"])
    event = _audit(
        relationship, type=AuditType.GDAP_REQUEST_EXPIRED, actor=None, actor_organization=None
    )
    emails.send_gdap_changed(relationship, change="expired", event_id=event)
    return True


def gdap_warn(relationship: GdapRelationship, *, now: datetime) -> bool:
    """Send the due warning (30 or 7 days before the end), once: `warnings_sent` records it. A
    late sweep that finds both due sends only the nearest."""
    if relationship.status != Status.ACTIVE or relationship.ends_at is None:
        return False
    if relationship.ends_at <= now:
        return False
    due = [
        days
        for days in GDAP_WARNING_DAYS
        if days not in relationship.warnings_sent
        and relationship.ends_at - timedelta(days=days) <= now
        and (
            relationship.starts_at is None
            or relationship.ends_at - timedelta(days=days) >= relationship.starts_at
        )
    ]
    if not due:
        _schedule_active(relationship)
        relationship.save(update_fields=["next_action_at"])
        return False
    days = min(due)
    relationship.warnings_sent = [*relationship.warnings_sent, *due]
    _schedule_active(relationship)
    relationship.save(update_fields=["warnings_sent", "next_action_at"])
    _audit(
        relationship,
        type=AuditType.GDAP_WARNING_SENT,
        actor=None,
        actor_organization=None,
        days=days,
    )
    emails.send_gdap_warning(relationship, days=days)
    return True


def gdap_reach_end(relationship: GdapRelationship, *, now: datetime) -> bool:
    """At the end date: auto-extend by 180 days (warnings start over), else ended."""
    if (
        relationship.status != Status.ACTIVE
        or relationship.ends_at is None
        or relationship.ends_at > now
    ):
        return False
    if relationship.auto_extend:
        relationship.ends_at = relationship.ends_at + GDAP_AUTO_EXTEND
        relationship.warnings_sent = []
        _schedule_active(relationship)
        relationship.save(update_fields=["ends_at", "warnings_sent", "next_action_at"])
        event = _audit(
            relationship,
            type=AuditType.GDAP_EXTENDED,
            actor=None,
            actor_organization=None,
            ends_at=relationship.ends_at.isoformat(),
        )
        emails.send_gdap_changed(relationship, change="extended", event_id=event)
        return True
    relationship.status = Status.ENDED
    relationship.ended_at = now
    relationship.next_action_at = None
    relationship.save(update_fields=["status", "ended_at", "next_action_at"])
    event = _audit(
        relationship, type=AuditType.GDAP_ENDED, actor=None, actor_organization=None, early=False
    )
    emails.send_gdap_changed(relationship, change="ended", event_id=event)
    return True


def _sweep_one(relationship_id: int, now: datetime) -> bool:
    with transaction.atomic():
        relationship = (
            GdapRelationship.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer", "partner", "requested_by", "ended_by_organization")
            .filter(pk=relationship_id, next_action_at__lte=now)
            .first()
        )
        if relationship is None:  # another sweeper holds it, or it moved on
            return False
        if relationship.status == Status.PENDING:
            return gdap_request_expire(relationship, now=now)
        if relationship.status == Status.ACTIVE:
            assert relationship.ends_at is not None
            if relationship.ends_at <= now:
                return gdap_reach_end(relationship, now=now)
            return gdap_warn(relationship, now=now)
        relationship.next_action_at = None  # nothing left to do for a closed one
        relationship.save(update_fields=["next_action_at"])
        return False


def gdap_sweep_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Carry out every due step (expiry, warning, end); returns how many relationships changed.
    Running it twice changes nothing the second time."""
    now = now or timezone.now()
    due_ids = list(
        GdapRelationship.objects.filter(next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("pk", flat=True)[:limit]
    )
    changed = 0
    turns = WriterTurns()
    for pk in due_ids:
        changed += _sweep_one(pk, now)
        turns.take()
    return changed
