"""Changes to an authorized provider relationship: the reseller removes the provider's admin
access (the relationship stays) or ends it; the provider removes the partnership. Customers the
reseller shared stay the reseller's; the provider loses sight of them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.audit import audit_record_for, notify
from portal.models import Membership, Organization, User
from portal.notices import Notice
from portal.policy import Action, require_member

from .. import emails
from ..events import AuditType
from ..models import ProviderRelationship, RelationshipEvent

Kind = Organization.Kind


def _locked_relationship(*, membership: Membership, relationship_id: int) -> ProviderRelationship:
    """The relationship, if the member's organization is one of its two sides (else 404-like),
    locked for update (its row only) until the change commits: a delegated write by the
    provider, which locks the row it relies on for share (the DAP source), waits for the
    switch-off and then sees it, or the switch-off waits for the write."""
    org = membership.organization
    side = "reseller" if org.kind == Kind.RESELLER else "provider"
    relationship = (
        ProviderRelationship.objects.select_for_update(of=("self",))
        .select_related("provider", "reseller")
        .filter(pk=relationship_id, **{side: org})
        .first()
    )
    if relationship is None:
        raise ProviderRelationship.DoesNotExist
    return relationship


_AUDIT_TYPES = {
    RelationshipEvent.Type.AUTHORIZED: AuditType.PROVIDER_AUTHORIZED,
    RelationshipEvent.Type.ADMIN_ACCESS_REMOVED: AuditType.PROVIDER_ADMIN_ACCESS_REMOVED,
    RelationshipEvent.Type.ENDED: AuditType.PROVIDER_ENDED,
}


def _record(
    relationship: ProviderRelationship,
    *,
    type: RelationshipEvent.Type,
    membership: Membership,
    message: Notice,
) -> RelationshipEvent:
    event = RelationshipEvent.objects.create(
        relationship=relationship,
        type=type,
        actor=membership.user,
        actor_organization=membership.organization,
    )
    audit_record_for(
        type=_AUDIT_TYPES[type],
        organizations=[relationship.provider, relationship.reseller],
        actor=membership.user,
        actor_organization=membership.organization,
        relationship=relationship.pk,
    )
    for org, link in (
        (relationship.provider, "/indirect-resellers/"),
        (relationship.reseller, "/indirect-providers/"),
    ):
        notify(organization=org, message=message, link=link)
    emails.send_relationship_changed(
        relationship, change=type, actor_org=membership.organization, event_id=event.pk
    )
    return event


def relationship_admin_access_remove(
    *, actor: User, organization: Organization, relationship_id: int
) -> ProviderRelationship:
    """The reseller withdraws the provider's admin access to its account; orders go on."""
    membership = require_member(
        actor=actor, organization=organization, action=Action.AUTHORIZE_PROVIDER
    )
    with transaction.atomic():
        relationship = _locked_relationship(membership=membership, relationship_id=relationship_id)
        if relationship.status != ProviderRelationship.Status.ACTIVE:
            raise ValidationError(_("This relationship has already ended."))
        if not relationship.admin_access:
            raise ValidationError(
                _("%(provider)s has no admin access to remove.")
                % {"provider": relationship.provider.legal_name}
            )
        relationship.admin_access = False
        relationship.save(update_fields=["admin_access"])
        _record(
            relationship,
            type=RelationshipEvent.Type.ADMIN_ACCESS_REMOVED,
            membership=membership,
            message=Notice(
                gettext_noop("%(reseller)s removed the admin access of %(provider)s."),
                {
                    "reseller": relationship.reseller.legal_name,
                    "provider": relationship.provider.legal_name,
                },
            ),
        )
    return relationship


def relationship_end(
    *, actor: User, organization: Organization, relationship_id: int
) -> ProviderRelationship:
    """End the relationship, from either side (the reseller's "End relationship", the
    provider's "Remove partnership")."""
    action = (
        Action.INVITE_RESELLER if organization.kind == Kind.PROVIDER else Action.AUTHORIZE_PROVIDER
    )
    membership = require_member(actor=actor, organization=organization, action=action)
    with transaction.atomic():
        relationship = _locked_relationship(membership=membership, relationship_id=relationship_id)
        if relationship.status != ProviderRelationship.Status.ACTIVE:
            raise ValidationError(_("This relationship has already ended."))
        relationship.status = ProviderRelationship.Status.ENDED
        relationship.admin_access = False
        relationship.ended_at = timezone.now()
        relationship.ended_by = membership.user
        relationship.save(update_fields=["status", "admin_access", "ended_at", "ended_by"])
        _record(
            relationship,
            type=RelationshipEvent.Type.ENDED,
            membership=membership,
            message=Notice(
                gettext_noop(
                    "%(actor)s ended the relationship between %(provider)s and %(reseller)s."
                ),
                {
                    "actor": membership.organization.legal_name,
                    "provider": relationship.provider.legal_name,
                    "reseller": relationship.reseller.legal_name,
                },
            ),
        )
    return relationship
