"""The steps every invitation kind shares. The services in customers.py and
reseller_invitations.py compose them inside their own transaction and add what is theirs:
permission, rules, audit details, notifications and emails."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.domains import domain_belongs_to, email_domain
from portal.models import Membership, Organization, User
from portal.policy import Action, require_member
from portal.ratelimit import rate_limit_consume

from ..errors import InvitationUnavailable
from ..models import (
    INVITATION_VALIDITY,
    CustomerInvitation,
    InvitationEvent,
    InvitationStatus,
    ResellerInvitation,
    domain_path,
)


def new_key() -> str:
    return secrets.token_urlsafe(32)


def invitee_refusal(*, invited_email: str, organization: Organization) -> str | None:
    """An invitation is for the company it was sent to: the accepting organization's domain
    must be the invited address's domain (or its parent), whoever else holds the link."""
    if domain_belongs_to(email_domain(invited_email), organization.primary_domain):
        return None
    return _(
        "This invitation was sent to %(email)s, at another company than %(organization)s. "
        "Sign in with an account of that company to accept it."
    ) % {"email": invited_email, "organization": organization.legal_name}


def answer_refusal(*, invited_email: str, membership: Membership | None, user: User) -> str | None:
    """Declining is answering for the invited company too: the person's organization (or, before
    they have one, their own address) must be at the invited address's domain."""
    domain = membership.organization.primary_domain if membership else email_domain(user.email)
    if domain_belongs_to(email_domain(invited_email), domain):
        return None
    return _("This invitation was sent to %(email)s. Only that company can answer it.") % {
        "email": invited_email
    }


def invitation_limit_key(organization: Organization) -> str:
    """What an organization's invitations count under in `PORTAL_RATE_LIMITS`: one count per
    sending organization, whichever door the invitation came through (the form, a bulk file)."""
    return f"organization:{organization.pk}"


def expiry_for(kind: str):
    return timezone.now() + INVITATION_VALIDITY[kind]


def ensure_open(invitation) -> None:
    """Refuse an invitation that can no longer be acted on, naming why."""
    if invitation.status == InvitationStatus.PENDING and not invitation.is_expired:
        return
    raise InvitationUnavailable(invitation.effective_status, invitation)


def invitation_issue[I: (ResellerInvitation, CustomerInvitation)](
    model: type[I], **fields: Any
) -> I:
    """Save a new invitation with a fresh key, its kind's validity and sent now; `fields` are
    the kind's own (sender, invitee, ...)."""
    now = timezone.now()
    invitation = model(
        key=new_key(),
        expires_at=expiry_for(model.KIND),
        created_at=now,
        last_sent_at=now,
        invitee_domain_path=domain_path(email_domain(fields["email"])),
        **fields,
    )
    invitation.full_clean()
    invitation.save()
    return invitation


def invitation_event_record(
    invitation: ResellerInvitation | CustomerInvitation,
    *,
    type: InvitationEvent.Type,
    actor: User | None = None,
    actor_organization: Organization | None = None,
) -> InvitationEvent:
    """Append one step of the invitation's lifecycle to Recent changes (sender's and invited
    company's); call inside the transaction of the change."""
    return InvitationEvent.objects.create(
        kind=invitation.KIND,
        reseller_invitation=invitation if isinstance(invitation, ResellerInvitation) else None,
        customer_invitation=invitation if isinstance(invitation, CustomerInvitation) else None,
        organization_id=invitation.organization_id,
        invitee_domain_path=invitation.invitee_domain_path,
        email=invitation.email,
        type=type,
        actor=actor,
        actor_organization=actor_organization,
    )


def invitation_sent(
    invitation: ResellerInvitation | CustomerInvitation,
    *,
    membership: Membership,
    audit_type: str,
    send: Callable[[Any], None],
    **details: Any,
) -> None:
    """A new invitation is on record: its audit event, the first step of its lifecycle and its
    email (queued in the caller's transaction)."""
    audit_record(
        type=audit_type,
        organization=invitation.organization,
        actor=membership.user,
        actor_organization=membership.organization,
        invitation=invitation.pk,
        email=invitation.email,
        **details,
    )
    invitation_event_record(
        invitation,
        type=InvitationEvent.Type.SENT,
        actor=membership.user,
        actor_organization=membership.organization,
    )
    send(invitation)


def open_invitation_for_update[I: (ResellerInvitation, CustomerInvitation)](
    model: type[I], *, invitation_id: int, related: tuple[str, ...]
) -> I:
    """The invitation a link names, locked, refused (InvitationUnavailable) unless still open,
    for the invitee's answer."""
    invitation = (
        model._default_manager.select_for_update().select_related(*related).get(pk=invitation_id)
    )
    ensure_open(invitation)
    return invitation


def invitation_close(
    invitation: ResellerInvitation | CustomerInvitation, *, status: str, by: User
) -> None:
    """Record that the invitation ended now (declined by the invitee or revoked by its sender)
    and who ended it."""
    invitation.status = status
    invitation.responded_at = timezone.now()
    invitation.responded_by = by
    invitation.save(update_fields=["status", "responded_at", "responded_by"])


def sent_invitation_for_update[I: (ResellerInvitation, CustomerInvitation)](
    model: type[I],
    *,
    actor: User,
    organization: Organization,
    invitation_id: int,
    action: Action,
    related: tuple[str, ...],
    refusal: str,
) -> I:
    """The sender's own invitation, locked, while it is still pending or expired: the only
    states a sender can resend or revoke. Another tenant's invitation is `model.DoesNotExist`
    (the page's 404); `refusal` says why an answered one cannot change (`%(status)s` in it)."""
    membership = require_member(actor=actor, organization=organization, action=action)
    invitation = (
        model._default_manager.select_for_update()
        .select_related(*related)
        .filter(pk=invitation_id, organization=membership.organization)
        .first()
    )
    if invitation is None:
        raise model.DoesNotExist
    if invitation.status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
        raise ValidationError(refusal % {"status": invitation.get_status_display().lower()})
    return invitation


def invitation_resend[I: (ResellerInvitation, CustomerInvitation)](
    invitation: I, *, actor: User, audit_type: str, send: Callable[[I], None]
) -> None:
    """Pending again with a fresh expiry (which revives an expired one), and the link emailed
    again. Runs inside the caller's transaction, on an invitation it has locked. Limited per
    invitation (`PORTAL_RATE_LIMITS["invitation_resend"]`): nobody's mailbox gets flooded."""
    rate_limit_consume(action="invitation_resend", key=f"{invitation.KIND}:{invitation.pk}")
    invitation.status = InvitationStatus.PENDING
    invitation.last_sent_at = timezone.now()
    invitation.expires_at = expiry_for(invitation.KIND)
    invitation.save(update_fields=["status", "last_sent_at", "expires_at"])
    audit_record(
        type=audit_type, organization=invitation.organization, actor=actor, invitation=invitation.pk
    )
    invitation_event_record(
        invitation,
        type=InvitationEvent.Type.RESENT,
        actor=actor,
        actor_organization=invitation.organization,
    )
    send(invitation)


def invitation_revoke(
    invitation: ResellerInvitation | CustomerInvitation, *, actor: User, audit_type: str
) -> None:
    """Revoked by its sender: the link stops working. Runs inside the caller's transaction, on
    an invitation it has locked."""
    invitation_close(invitation, status=InvitationStatus.REVOKED, by=actor)
    audit_record(
        type=audit_type, organization=invitation.organization, actor=actor, invitation=invitation.pk
    )
    invitation_event_record(
        invitation,
        type=InvitationEvent.Type.REVOKED,
        actor=actor,
        actor_organization=invitation.organization,
    )
