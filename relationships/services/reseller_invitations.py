"""Provider → reseller: "Request a partnership", resend, revoke, and the reseller's answer."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from enrollment.rules import validate_partner_id_format
from enrollment.selectors import agreement_accepted
from portal.audit import audit_record, audit_record_for, notify
from portal.models import Membership, Organization, User
from portal.notices import Notice
from portal.policy import Action, can, membership_of, require_member
from portal.ratelimit import rate_limit_consume
from portal.templatetags.portal_formats import local_date

from .. import emails
from ..events import AuditType
from ..models import (
    InvitationEvent,
    InvitationStatus,
    ProviderRelationship,
    RelationshipEvent,
    ResellerInvitation,
)
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


def _provider_region_ids(provider: Organization) -> set[int]:
    profile = getattr(provider, "provider_profile", None)
    if profile is None:
        return set()
    return set(profile.regions.values_list("pk", flat=True))


def region_refusal(*, provider: Organization, reseller: Organization) -> str | None:
    """The reason provider and reseller cannot work together, or None when they share a region."""
    country = reseller.country
    if country is None:
        return _(
            "%(reseller)s has no legal country yet, so it has no CSP region. Complete its legal "
            "business profile first."
        ) % {"reseller": reseller.legal_name}
    if country.region_id in _provider_region_ids(provider):
        return None
    return _(
        "%(reseller)s is in the CSP region %(region)s, where %(provider)s is not authorized. "
        "A reseller can work only with providers authorized in its own CSP region."
    ) % {
        "reseller": reseller.legal_name,
        "region": country.region.display_name,
        "provider": provider.legal_name,
    }


def _active_reseller_named_by(*, provider: Organization, email: str) -> Organization | None:
    """The reseller at the email's domain, but only when it already works with `provider`."""
    domain = email.rsplit("@", 1)[-1]
    relationship = (
        ProviderRelationship.objects.filter(
            provider=provider,
            status=ProviderRelationship.Status.ACTIVE,
            reseller__kind=Kind.RESELLER,
            reseller__primary_domain=domain,
        )
        .select_related("reseller")
        .first()
    )
    return relationship.reseller if relationship else None


def reseller_invitation_refusal(*, provider: Organization, email: str) -> str | None:
    """Why `provider` cannot invite `email`, saying only what the provider already knows.

    An invitation is refused here only when the email's company already is one of the
    provider's indirect resellers (the provider knows its name). Nothing else about another
    tenant is checked against what the provider typed: not whether the domain or a PartnerID
    belongs to a registered reseller, nor that reseller's name or CSP region — a refusal would
    tell a stranger exactly that. Those rules are enforced when the reseller answers
    (`reseller_authorization_refusal`, shown to the reseller's own admins); until then the
    invitation waits in the provider's pending invitations like any other."""
    reseller = _active_reseller_named_by(provider=provider, email=email)
    if reseller is not None:
        return _("%(reseller)s is already one of your indirect resellers.") % {
            "reseller": reseller.legal_name
        }
    return None


def reseller_invitation_create(
    *,
    actor: User,
    organization: Organization,
    email: str,
    partner_id: str = "",
    language: str = "",
) -> ResellerInvitation:
    """Invite a reseller admin by email. Refused only for what the provider already knows
    (`reseller_invitation_refusal`) or a pending invitation of its own; the CSP region and
    the invited company are checked when the reseller answers. Every invitation, typed in the
    form or a row of a bulk file, counts against the provider's hourly limit (RateLimited
    beyond it: the form's 429 page, the bulk sending's wait for the next window)."""
    membership = require_member(
        actor=actor, organization=organization, action=Action.INVITE_RESELLER
    )
    provider = membership.organization
    email = email.strip().lower()
    partner_id = partner_id.strip()
    if partner_id:
        try:
            validate_partner_id_format(partner_id)
        except ValidationError as exc:
            raise ValidationError({"partner_id": exc.messages}) from exc
    with transaction.atomic():
        refusal = reseller_invitation_refusal(provider=provider, email=email)
        if refusal:
            raise ValidationError({"email": refusal})
        # Two invitations to one address at the same moment queue on the provider's row, so
        # the second finds the first pending.
        list(Organization.objects.select_for_update().filter(pk=provider.pk).values_list("pk"))
        pending = (
            ResellerInvitation.objects.select_for_update()
            .filter(
                organization=provider,
                email=email,
                status=InvitationStatus.PENDING,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if pending is not None:
            raise ValidationError(
                {
                    "email": _(
                        "An invitation to %(email)s is already pending (it expires on "
                        "%(date)s). Resend or revoke it in the list of pending invitations."
                    )
                    % {"email": email, "date": local_date(pending.expires_at)}
                }
            )
        rate_limit_consume(action="reseller_invitation", key=invitation_limit_key(provider))
        invitation = invitation_issue(
            ResellerInvitation,
            organization=provider,
            invited_by=membership.user,
            email=email,
            partner_id=partner_id,
            language=language,
        )
        invitation_sent(
            invitation,
            membership=membership,
            audit_type=AuditType.RESELLER_INVITATION_SENT,
            send=emails.send_reseller_invitation,
        )
    return invitation


def _provider_invitation_for_update(
    *, actor: User, organization: Organization, invitation_id: int, refusal: str
) -> ResellerInvitation:
    return sent_invitation_for_update(
        ResellerInvitation,
        actor=actor,
        organization=organization,
        invitation_id=invitation_id,
        action=Action.INVITE_RESELLER,
        related=("organization", "invited_by"),
        refusal=refusal,
    )


def reseller_invitation_resend(
    *, actor: User, organization: Organization, invitation_id: int
) -> ResellerInvitation:
    """Send the link again with a fresh expiry (also revives an expired pending invitation)."""
    with transaction.atomic():
        invitation = _provider_invitation_for_update(
            actor=actor,
            organization=organization,
            invitation_id=invitation_id,
            refusal=_("This invitation was %(status)s; it cannot be sent again."),
        )
        invitation_resend(
            invitation,
            actor=actor,
            audit_type=AuditType.RESELLER_INVITATION_RESENT,
            send=emails.send_reseller_invitation,
        )
    return invitation


def reseller_invitation_revoke(
    *, actor: User, organization: Organization, invitation_id: int
) -> ResellerInvitation:
    with transaction.atomic():
        invitation = _provider_invitation_for_update(
            actor=actor,
            organization=organization,
            invitation_id=invitation_id,
            refusal=_("This invitation was %(status)s; it cannot be revoked."),
        )
        invitation_revoke(
            invitation,
            actor=actor,
            audit_type=AuditType.RESELLER_INVITATION_REVOKED,
        )
    return invitation


def reseller_authorization_refusal(
    *, membership: Membership | None, provider: Organization, invited_email: str
) -> str | None:
    """Why this member cannot authorize `provider` for its company, or None when it can."""
    if membership is None or not can(membership, Action.AUTHORIZE_PROVIDER):
        return _(
            "Only a Global admin or an Admin agent of an indirect reseller can authorize a "
            "provider. Ask your company's Global admin to open this link, or to give you the "
            "Admin agent role."
        )
    reseller = membership.organization
    refusal = invitee_refusal(invited_email=invited_email, organization=reseller)
    if refusal:
        return refusal
    if reseller.status != Organization.Status.VERIFIED:
        return _(
            "%(reseller)s is not verified yet. You can authorize a provider once verification "
            "is complete; see its status on the Verification page."
        ) % {"reseller": reseller.legal_name}
    if not agreement_accepted(organization=reseller):
        return _(
            "%(reseller)s has not accepted the current Partner Agreement. A Global admin accepts "
            "it on the dashboard; then open this link again."
        ) % {"reseller": reseller.legal_name}
    refusal = region_refusal(provider=provider, reseller=reseller)
    if refusal:
        return refusal
    if ProviderRelationship.objects.filter(
        provider=provider, reseller=reseller, status=ProviderRelationship.Status.ACTIVE
    ).exists():
        return _("%(reseller)s already works with %(provider)s.") % {
            "reseller": reseller.legal_name,
            "provider": provider.legal_name,
        }
    return None


def reseller_invitation_accept(
    *, actor: User, organization: Organization | None, invitation_id: int
) -> ProviderRelationship:
    """The reseller authorizes the provider. Locks the invitation, re-checks every rule, creates
    the relationship and marks the invitation accepted in one transaction, so a double submit
    or a second tab finds it accepted."""
    membership = membership_of(actor, organization)
    with transaction.atomic():
        invitation = open_invitation_for_update(
            ResellerInvitation, invitation_id=invitation_id, related=("organization", "invited_by")
        )
        provider = invitation.organization
        refusal = reseller_authorization_refusal(
            membership=membership, provider=provider, invited_email=invitation.email
        )
        if refusal:
            raise ValidationError(refusal)
        assert membership is not None
        reseller = membership.organization
        now = timezone.now()
        try:
            with transaction.atomic():
                relationship = ProviderRelationship.objects.create(
                    provider=provider,
                    reseller=reseller,
                    admin_access=True,
                    authorized_by=membership.user,
                    authorized_at=now,
                    invitation=invitation,
                )
        except IntegrityError as exc:
            raise ValidationError(
                _("%(reseller)s already works with %(provider)s.")
                % {"reseller": reseller.legal_name, "provider": provider.legal_name}
            ) from exc
        invitation.status = InvitationStatus.ACCEPTED
        invitation.responded_at = now
        invitation.responded_by = membership.user
        invitation.reseller = reseller
        invitation.save(update_fields=["status", "responded_at", "responded_by", "reseller"])
        RelationshipEvent.objects.create(
            relationship=relationship,
            type=RelationshipEvent.Type.AUTHORIZED,
            actor=membership.user,
            actor_organization=reseller,
        )
        invitation_event_record(
            invitation,
            type=InvitationEvent.Type.ACCEPTED,
            actor=membership.user,
            actor_organization=reseller,
        )
        audit_record_for(
            type=AuditType.PROVIDER_AUTHORIZED,
            organizations=[provider, reseller],
            actor=membership.user,
            actor_organization=membership.organization,
            relationship=relationship.pk,
            provider=provider.pk,
            reseller=reseller.pk,
        )
        notify(
            organization=provider,
            message=Notice(
                gettext_noop("%(reseller)s authorized you as its indirect provider."),
                {"reseller": reseller.legal_name},
            ),
            link="/indirect-resellers/",
        )
        notify(
            organization=reseller,
            message=Notice(
                gettext_noop("You authorized %(provider)s as an indirect provider."),
                {"provider": provider.legal_name},
            ),
            link="/indirect-providers/",
        )
        emails.send_provider_authorized(relationship, actor=membership.user)
    return relationship


def reseller_invitation_decline(
    *, actor: User, organization: Organization | None, invitation_id: int
) -> ResellerInvitation:
    """Decline a provider's invitation; only someone who could have authorized it may."""
    membership = membership_of(actor, organization)
    with transaction.atomic():
        invitation = open_invitation_for_update(
            ResellerInvitation, invitation_id=invitation_id, related=("organization",)
        )
        if membership is None or not can(membership, Action.AUTHORIZE_PROVIDER):
            raise ValidationError(
                _(
                    "Only a Global admin or an Admin agent of an indirect reseller can answer "
                    "this invitation."
                )
            )
        refusal = answer_refusal(
            invited_email=invitation.email, membership=membership, user=membership.user
        )
        if refusal:
            raise ValidationError(refusal)
        invitation_close(invitation, status=InvitationStatus.DECLINED, by=membership.user)
        audit_record(
            type=AuditType.RESELLER_INVITATION_DECLINED,
            organization=invitation.organization,
            actor=membership.user,
            actor_organization=membership.organization,
            invitation=invitation.pk,
            reseller=membership.organization.pk,
        )
        invitation_event_record(
            invitation,
            type=InvitationEvent.Type.DECLINED,
            actor=membership.user,
            actor_organization=membership.organization,
        )
        notify(
            organization=invitation.organization,
            message=Notice(
                gettext_noop("%(reseller)s declined your partnership request."),
                {"reseller": membership.organization.legal_name},
            ),
            link="/indirect-resellers/",
        )
    return invitation
