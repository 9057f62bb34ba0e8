"""Delegated admin access (DAP, the seed's model): granted when a customer accepted a reseller
relationship before DAP was retired for new relationships (accepting now approves granular
roles instead, `gdap.gdap_approve_on_acceptance`); the rows that exist keep working: removed by
the customer's Global admin or by the reseller, and used by the partner's Admin agents to
administer the customer's account on its behalf.

Removing takes effect on the partner's next request: `dap_access_for()` (the source registered
with `portal.delegation`) reads the row on every request, and `portal.tenancy` drops the
session's choice with a message once it answers nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.audit import audit_record_for, notify
from portal.delegation import delegated_membership
from portal.models import Membership, Organization, User
from portal.notices import Notice
from portal.policy import Action, require_member, require_privileged_change
from portal.templatetags.portal_formats import local_date
from relationships.models import CustomerRelationship, ProviderRelationship
from relationships.selectors import customer_rows

from .. import emails
from ..events import AuditType
from ..models import AdminAccess
from ..selectors import admin_access_latest, provider_admin_access_removed

Kind = Organization.Kind


def _unique(*organizations: Organization) -> list[Organization]:
    found: dict[int, Organization] = {}
    for org in organizations:
        found.setdefault(org.pk, org)
    return list(found.values())


def admin_access_grant(*, actor: User, relationship: CustomerRelationship) -> list[AdminAccess]:
    """The customer accepted a reseller relationship "including delegated admin privileges" (before
    DAP's retirement: no acceptance calls it now; the demo and the tests build DAP-era rows): the
    reseller, and the provider while its relationship with the reseller gives admin access, get
    admin access to the customer's account. The acceptance authorized it (its service checked
    the actor is the customer's Global admin); a partner that already holds it keeps its row."""
    customer, reseller, provider = (
        relationship.customer,
        relationship.reseller,
        relationship.provider,
    )
    partners = [reseller]
    if ProviderRelationship.objects.filter(
        provider=provider,
        reseller=reseller,
        status=ProviderRelationship.Status.ACTIVE,
        admin_access=True,
    ).exists():
        partners.append(provider)
    holding = set(
        AdminAccess.objects.filter(
            customer=customer, partner__in=partners, status=AdminAccess.Status.ACTIVE
        ).values_list("partner_id", flat=True)
    )
    granted = []
    now = timezone.now()
    for partner in partners:
        if partner.pk in holding:
            continue
        access = AdminAccess(customer=customer, partner=partner, reseller=reseller, granted_at=now)
        access.full_clean()
        access.save()
        granted.append(access)
        audit_record_for(
            type=AuditType.ADMIN_ACCESS_GRANTED,
            organizations=_unique(customer, partner, reseller),
            actor=actor,
            actor_organization=customer,
            partner=partner.legal_name,
            customer=customer.legal_name,
        )
    return granted


def _locked_access(*, membership: Membership, access_id: int) -> AdminAccess:
    """The access row, if the member's organization may remove it: the customer any of its
    partners', a reseller its own and its providers', a provider its own (else DoesNotExist,
    the same as a missing row)."""
    org = membership.organization
    scope = Q(customer=org) if org.kind == Kind.CUSTOMER else Q(reseller=org) | Q(partner=org)
    access = (
        AdminAccess.objects.select_for_update(of=("self",))
        .select_related("customer", "partner", "reseller")
        .filter(scope, pk=access_id)
        .first()
    )
    if access is None:
        raise AdminAccess.DoesNotExist
    return access


def admin_access_remove(*, actor: User, organization: Organization, access_id: int) -> AdminAccess:
    """End a partner's admin access to a customer's account; the relationship stays. The
    customer's Global admin removes any partner's (Partner relationships), the reseller its
    provider's or its own (the customer's page). Audited in the customer's, the partner's and
    the reseller's logs; both sides' Global admins are told."""
    action = (
        Action.MANAGE_PARTNER_ACCESS
        if organization.kind == Kind.CUSTOMER
        else Action.MANAGE_DELEGATED_ACCESS
    )
    membership = require_member(actor=actor, organization=organization, action=action)
    if organization.kind == Kind.CUSTOMER:
        require_privileged_change(membership, partner_access=True)
    with transaction.atomic():
        access = _locked_access(membership=membership, access_id=access_id)
        if access.status != AdminAccess.Status.ACTIVE:
            raise ValidationError(
                _("The admin access of %(partner)s was already removed.")
                % {"partner": access.partner.legal_name}
            )
        access.status = AdminAccess.Status.REMOVED
        access.removed_at = timezone.now()
        access.removed_by = membership.user
        access.removed_by_organization = membership.organization
        access.save(update_fields=["status", "removed_at", "removed_by", "removed_by_organization"])
        audit_record_for(
            type=AuditType.ADMIN_ACCESS_REMOVED,
            organizations=_unique(access.customer, access.partner, access.reseller),
            actor=membership.user,
            actor_organization=membership.organization,
            partner=access.partner.legal_name,
            customer=access.customer.legal_name,
        )
        message = Notice(
            gettext_noop(
                "%(actor)s removed the delegated admin access of %(partner)s to %(customer)s."
            ),
            {
                "actor": membership.organization.legal_name,
                "partner": access.partner.legal_name,
                "customer": access.customer.legal_name,
            },
        )
        for org in _unique(access.customer, access.partner, access.reseller):
            notify(
                organization=org,
                message=message,
                link="/partner-relationships/" if org.kind == Kind.CUSTOMER else "/customers/",
            )
        emails.send_admin_access_removed(access, actor_org=membership.organization)
    return access


def administration_refusal(*, partner: Organization, customer: Organization) -> str:
    """Why `partner`'s agent may not administer `customer` (said on the refusal page)."""
    latest = admin_access_latest(customer=customer, partner=partner)
    names = {"partner": partner.legal_name, "customer": customer.legal_name}
    if latest is not None and latest.status == AdminAccess.Status.REMOVED:
        remover = latest.removed_by_organization
        return _(
            "%(remover)s removed the admin access of %(partner)s to %(customer)s on %(date)s."
        ) % {
            **names,
            "remover": remover.legal_name if remover else _("Someone"),
            "date": local_date(latest.removed_at or latest.granted_at),
        }
    if (
        latest is not None
        and latest.partner_id != latest.reseller_id
        and provider_admin_access_removed(provider=partner, reseller=latest.reseller)
    ):
        return _(
            "%(reseller)s removed the admin access of %(partner)s, so it cannot administer its "
            "customer %(customer)s."
        ) % {**names, "reseller": latest.reseller.legal_name}
    if latest is not None:
        return (
            _(
                "Only a Global admin or an Admin agent of %(partner)s can administer "
                "%(customer)s on its behalf."
            )
            % names
        )
    return _("%(partner)s holds no delegated admin access to %(customer)s.") % names


def administration_start(
    *, actor: User, organization: Organization, customer_id: int
) -> Membership:
    """A partner's agent opens "Administer on behalf of" a customer it works with. Returns the
    delegated membership (the view keeps the choice in the session); refuses with the reason.
    A customer the partner does not work with is a DoesNotExist (a 404, as a missing one)."""
    membership = require_member(
        actor=actor, organization=organization, action=Action.ADMINISTER_ON_BEHALF
    )
    rows = customer_rows(organization=membership.organization, customer_id=customer_id)
    if not rows:
        raise Organization.DoesNotExist
    customer = rows[0].customer
    delegated = delegated_membership(membership.user, customer)
    if delegated is None or delegated.delegated_by != membership.organization:
        raise ValidationError(
            administration_refusal(partner=membership.organization, customer=customer)
        )
    with transaction.atomic():
        audit_record_for(
            type=AuditType.ADMINISTRATION_STARTED,
            organizations=[customer, membership.organization],
            actor=membership.user,
            actor_organization=membership.organization,
            customer=customer.legal_name,
            roles=delegated.role_codes(),
        )
    return delegated
