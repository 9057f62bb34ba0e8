"""Reseller → customer: "Invite new customers" (one link, a relationship with the reseller and
its provider at once), the customer's own organization, and its answer."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from enrollment.rules import DUPLICATE_MESSAGE, validate_not_duplicate
from portal.audit import audit_record, audit_record_for, notify
from portal.models import Market, Membership, Organization, User
from portal.notices import Notice
from portal.policy import Action, can, membership_of, require_member, require_privileged_change
from portal.ratelimit import rate_limit_consume

from .. import emails
from ..events import AuditType
from ..models import (
    CustomerInvitation,
    CustomerRelationship,
    InvitationEvent,
    InvitationStatus,
    ProviderRelationship,
)
from ..signals import customer_relationship_accepted
from ._invitations import (
    answer_refusal,
    invitation_close,
    invitation_event_record,
    invitation_issue,
    invitation_limit_key,
    invitation_resend,
    invitation_revoke,
    invitation_sent,
    invitee_refusal,
    open_invitation_for_update,
    sent_invitation_for_update,
)

Kind = Organization.Kind


def _active_provider_relationship(
    *, reseller: Organization, provider_id: int
) -> ProviderRelationship | None:
    # Locked: two invitations of one customer at the same moment queue on this row, so the
    # second finds the first pending instead of both being sent.
    return (
        ProviderRelationship.objects.select_related("provider")
        .select_for_update(of=("self",))
        .filter(
            reseller=reseller, provider_id=provider_id, status=ProviderRelationship.Status.ACTIVE
        )
        .first()
    )


def customer_invitation_create(
    *,
    actor: User,
    organization: Organization,
    provider_id: int,
    email: str,
    company_name: str,
    language: str = "",
    include_admin_access: bool = True,
) -> CustomerInvitation:
    """Invite a customer for the reseller and one of its active providers. Every invitation,
    typed in the form or a row of a bulk file, counts against the reseller's hourly limit
    (RateLimited beyond it). An address that already belongs to a user of an organization is
    refused when no customer could ever accept from it (`customer_addressee_note`), else sent
    with a note for the sender in `invitation.addressee_note`."""
    membership = require_member(
        actor=actor, organization=organization, action=Action.INVITE_CUSTOMER
    )
    reseller = membership.organization
    email = email.strip().lower()
    with transaction.atomic():
        relationship = _active_provider_relationship(reseller=reseller, provider_id=provider_id)
        if relationship is None:
            raise ValidationError({"provider": _("Choose one of your active indirect providers.")})
        if CustomerInvitation.objects.filter(
            organization=reseller,
            provider_id=provider_id,
            email=email,
            status=InvitationStatus.PENDING,
            expires_at__gt=timezone.now(),
        ).exists():
            raise ValidationError(
                {
                    "email": _("An invitation to %(email)s for %(provider)s is already pending.")
                    % {"email": email, "provider": relationship.provider.legal_name}
                }
            )
        # Counted before the address is looked up: what the answer tells about an address
        # (a partner's, a customer's) cannot be asked more often than invitations sent.
        rate_limit_consume(action="customer_invitation", key=invitation_limit_key(reseller))
        note = customer_addressee_note(
            email=email, reseller=reseller, provider=relationship.provider
        )
        invitation = invitation_issue(
            CustomerInvitation,
            organization=reseller,
            provider=relationship.provider,
            invited_by=membership.user,
            email=email,
            company_name=company_name.strip(),
            language=language,
            include_admin_access=include_admin_access,
        )
        invitation_sent(
            invitation,
            membership=membership,
            audit_type=AuditType.CUSTOMER_INVITATION_SENT,
            send=emails.send_customer_invitation,
            provider=relationship.provider_id,
        )
    invitation.addressee_note = note
    return invitation


def customer_addressee_note(*, email: str, reseller: Organization, provider: Organization) -> str:
    """Partner Center addresses a customer relationship request to the customer's Global admin,
    and only a customer organization's Global admin can accept one here. So an address that
    belongs to a user of the reseller itself, of its provider, or of any partner organization
    (reseller, provider, operator) is refused: nobody could accept from it, and the sender is
    told whom to invite (another partner is not named). An address of a customer organization's
    user is invited (that person may be, or may pass it to, the customer's Global admin);
    accepting then links that organization, and the note returned tells the sender so, naming
    the organization only when it is already the reseller's customer. "" for a new address."""
    organizations = {
        membership.organization_id: membership.organization
        for membership in Membership.objects.select_related("organization").filter(
            user__email=email
        )
    }
    if not organizations:
        return ""
    if reseller.pk in organizations:
        raise ValidationError(
            {
                "email": _(
                    "%(email)s is a user of your own organization. Invite the Global admin of "
                    "the customer's company."
                )
                % {"email": email}
            }
        )
    if provider.pk in organizations:
        raise ValidationError(
            {
                "email": _(
                    "%(email)s is a user of %(provider)s, your indirect provider. Invite the "
                    "Global admin of the customer's company."
                )
                % {"email": email, "provider": provider.legal_name}
            }
        )
    if any(org.kind != Kind.CUSTOMER for org in organizations.values()):
        raise ValidationError(
            {
                "email": _(
                    "%(email)s belongs to a partner organization in the portal, and only a "
                    "customer's Global admin can accept a customer invitation. Invite the "
                    "Global admin of the customer's company."
                )
                % {"email": email}
            }
        )
    ours = list(
        CustomerRelationship.objects.select_related("customer").filter(
            customer_id__in=organizations,
            reseller=reseller,
            status=CustomerRelationship.Status.ACTIVE,
        )
    )
    for relationship in ours:
        if relationship.provider_id == provider.pk:
            raise ValidationError(
                {
                    "email": _(
                        "%(email)s is a user of %(customer)s, which already works with you and "
                        "%(provider)s."
                    )
                    % {
                        "email": email,
                        "customer": relationship.customer.legal_name,
                        "provider": provider.legal_name,
                    }
                }
            )
    if ours:
        return _(
            "%(email)s is a user of %(customer)s, already your customer: accepting adds "
            "%(provider)s to its relationships."
        ) % {
            "email": email,
            "customer": ours[0].customer.legal_name,
            "provider": provider.legal_name,
        }
    return _(
        "%(email)s already has an account at another company in the portal: only that company's "
        "Global admin can accept, and accepting links that company."
    ) % {"email": email}


def customer_organization_create(
    *, actor: User, invitation: CustomerInvitation, legal_name: str, country: Market
) -> Membership:
    """A person who followed a customer invitation and belongs to no organization yet creates
    its customer organization and becomes its Global admin. Only someone at the invited
    company may: nobody is left with an account the invitation then refuses."""
    user = actor
    domain = user.email.rsplit("@", 1)[-1].lower()
    with transaction.atomic():
        if Membership.objects.filter(user=user).exists():
            raise ValidationError(_("You already belong to an organization."))
        refusal = answer_refusal(invited_email=invitation.email, membership=None, user=user)
        if refusal:
            raise ValidationError(refusal)
        validate_not_duplicate(domains=[domain])
        organization = Organization(
            kind=Kind.CUSTOMER,
            status=Organization.Status.VERIFIED,
            legal_name=legal_name.strip(),
            country=country,
            primary_domain=domain,
            language=user.language or settings.LANGUAGE_CODE,
            enrolled_at=timezone.now(),
        )
        organization.full_clean()
        try:
            with transaction.atomic():
                organization.save()
        except IntegrityError as exc:  # a colleague created it at the same moment
            raise ValidationError(DUPLICATE_MESSAGE, code="duplicate") from exc
        membership = Membership.objects.create(
            user=user, organization=organization, global_admin=True
        )
        audit_record(
            type=AuditType.CUSTOMER_ORGANIZATION_CREATED,
            organization=organization,
            actor=user,
        )
    return membership


def customer_acceptance_refusal(
    *, membership: Membership | None, invitation: CustomerInvitation
) -> str | None:
    if membership is None:
        return _("Create your company's customer account first.")
    org = membership.organization
    if not can(membership, Action.ACCEPT_CUSTOMER_RELATIONSHIP):
        return _(
            "Only the Global admin of a customer company can accept this invitation. You are "
            "signed in for %(organization)s."
        ) % {"organization": org.legal_name}
    refusal = invitee_refusal(invited_email=invitation.email, organization=org)
    if refusal:
        return refusal
    if not ProviderRelationship.objects.filter(
        reseller_id=invitation.organization_id,
        provider_id=invitation.provider_id,
        status=ProviderRelationship.Status.ACTIVE,
    ).exists():
        return _(
            "%(reseller)s no longer works with %(provider)s. Ask %(reseller)s for a new invitation."
        ) % {
            "reseller": invitation.organization.legal_name,
            "provider": invitation.provider.legal_name,
        }
    if CustomerRelationship.objects.filter(
        customer=org,
        reseller_id=invitation.organization_id,
        provider_id=invitation.provider_id,
        status=CustomerRelationship.Status.ACTIVE,
    ).exists():
        return _("%(customer)s already works with %(reseller)s and %(provider)s.") % {
            "customer": org.legal_name,
            "reseller": invitation.organization.legal_name,
            "provider": invitation.provider.legal_name,
        }
    return None


def customer_invitation_accept(
    *,
    actor: User,
    organization: Organization | None,
    invitation_id: int,
    approve_gdap: bool = False,
) -> CustomerRelationship:
    """The customer accepts the reseller relationship with the reseller and the provider at
    once; the customer is then shared with that provider. With `approve_gdap` (the box on the
    acceptance page) it also approves the granular admin roles the invitation asks for, when it
    asks for them; no delegated admin access (DAP) is granted. A partner acting on the
    customer's behalf accepts none (the relationship grants partners admin access)."""
    membership = membership_of(actor, organization)
    if membership is not None:
        require_privileged_change(membership, partner_access=True)
    with transaction.atomic():
        invitation = open_invitation_for_update(
            CustomerInvitation,
            invitation_id=invitation_id,
            related=("organization", "provider", "invited_by"),
        )
        refusal = customer_acceptance_refusal(membership=membership, invitation=invitation)
        if refusal:
            raise ValidationError(refusal)
        assert membership is not None
        customer = membership.organization
        now = timezone.now()
        try:
            with transaction.atomic():
                relationship = CustomerRelationship.objects.create(
                    customer=customer,
                    reseller=invitation.organization,
                    provider=invitation.provider,
                    invitation=invitation,
                    accepted_by=membership.user,
                    created_at=now,
                )
        except IntegrityError as exc:
            raise ValidationError(_("This relationship already exists.")) from exc
        invitation.status = InvitationStatus.ACCEPTED
        invitation.responded_at = now
        invitation.responded_by = membership.user
        invitation.customer = customer
        invitation.save(update_fields=["status", "responded_at", "responded_by", "customer"])
        message = Notice(
            gettext_noop(
                "%(customer)s accepted a reseller relationship with %(reseller)s and %(provider)s."
            ),
            {
                "customer": customer.legal_name,
                "reseller": invitation.organization.legal_name,
                "provider": invitation.provider.legal_name,
            },
        )
        audit_record_for(
            type=AuditType.CUSTOMER_ACCEPTED,
            organizations=[customer, invitation.organization, invitation.provider],
            actor=membership.user,
            actor_organization=membership.organization,
            customer_relationship=relationship.pk,
        )
        invitation_event_record(
            invitation,
            type=InvitationEvent.Type.ACCEPTED,
            actor=membership.user,
            actor_organization=customer,
        )
        notify(organization=invitation.organization, message=message, link="/customers/")
        notify(organization=invitation.provider, message=message, link="/customers/")
        emails.send_customer_accepted(invitation, customer=customer)
        customer_relationship_accepted.send(
            sender=CustomerRelationship,
            relationship=relationship,
            actor=membership.user,
            approve_gdap=approve_gdap and invitation.include_admin_access,
        )
    return relationship


def customer_invitation_decline(
    *, actor: User, organization: Organization | None, invitation_id: int
) -> CustomerInvitation:
    membership = membership_of(actor, organization)
    user = actor
    with transaction.atomic():
        invitation = open_invitation_for_update(
            CustomerInvitation, invitation_id=invitation_id, related=("organization",)
        )
        refusal = answer_refusal(invited_email=invitation.email, membership=membership, user=user)
        if refusal:
            raise ValidationError(refusal)
        invitation_close(invitation, status=InvitationStatus.DECLINED, by=user)
        audit_record(
            type=AuditType.CUSTOMER_INVITATION_DECLINED,
            organization=invitation.organization,
            actor=user,
            invitation=invitation.pk,
        )
        invitation_event_record(
            invitation,
            type=InvitationEvent.Type.DECLINED,
            actor=user,
            actor_organization=membership.organization if membership else None,
        )
        notify(
            organization=invitation.organization,
            message=Notice(
                gettext_noop("%(email)s declined your customer invitation."),
                {"email": invitation.email},
            ),
            link="/customers/",
        )
    return invitation


def _customer_invitation_for_update(
    *, actor: User, organization: Organization, invitation_id: int
) -> CustomerInvitation:
    return sent_invitation_for_update(
        CustomerInvitation,
        actor=actor,
        organization=organization,
        invitation_id=invitation_id,
        action=Action.INVITE_CUSTOMER,
        related=("organization", "provider"),
        refusal=_("This invitation was %(status)s; it cannot be changed."),
    )


def customer_invitation_resend(
    *, actor: User, organization: Organization, invitation_id: int
) -> CustomerInvitation:
    """Send the link again with a fresh expiry."""
    with transaction.atomic():
        invitation = _customer_invitation_for_update(
            actor=actor, organization=organization, invitation_id=invitation_id
        )
        invitation_resend(
            invitation,
            actor=actor,
            audit_type=AuditType.CUSTOMER_INVITATION_RESENT,
            send=emails.send_customer_invitation,
        )
    return invitation


def customer_invitation_revoke(
    *, actor: User, organization: Organization, invitation_id: int
) -> CustomerInvitation:
    with transaction.atomic():
        invitation = _customer_invitation_for_update(
            actor=actor, organization=organization, invitation_id=invitation_id
        )
        invitation_revoke(
            invitation,
            actor=actor,
            audit_type=AuditType.CUSTOMER_INVITATION_REVOKED,
        )
    return invitation
