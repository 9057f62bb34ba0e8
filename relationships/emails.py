"""What each relationships email says, and to whom it goes. Every email is an outbox row written
in the transaction of the change that causes it; the templates are emails/relationships_*."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import translation

from portal.models import Organization, User
from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language, global_admins
from portal.templatetags.portal_formats import local_date

from .models import CustomerInvitation, ProviderRelationship, ResellerInvitation


def invitation_url(key: str) -> str:
    return absolute_url(reverse("relationships:invitation", args=[key]))


def _send(*, key: str, users: list[User], template: str, context: dict, org: Organization) -> None:
    seen: set[str] = set()
    for user in users:
        if user.email in seen:
            continue
        seen.add(user.email)
        outbox_enqueue(
            key=f"{key}:{user.pk}",
            to=user.email,
            template=template,
            context=context,
            language=email_language(user=user, organization=org),
            organization=org,
        )


def _date_in(value: datetime, language: str) -> str:
    """The date as the reader writes it (29 Nov 2026, 29 nov 2026)."""
    with translation.override(language):
        return local_date(value)


def send_reseller_invitation(invitation: ResellerInvitation) -> None:
    provider = invitation.organization
    language = email_language(email=invitation.email, chosen=invitation.language)
    outbox_enqueue(
        key=f"relationships:reseller-invitation:{invitation.pk}:{invitation.last_sent_at.timestamp()}",
        to=invitation.email,
        template="relationships_reseller_invitation",
        context={
            "provider_name": provider.legal_name,
            "inviter_name": invitation.invited_by.get_full_name(),
            "url": invitation_url(invitation.key),
            "expires_on": _date_in(invitation.expires_at, language),
        },
        language=language,
        organization=provider,
    )


def send_provider_authorized(relationship: ProviderRelationship, *, actor: User) -> None:
    context = {
        "provider_name": relationship.provider.legal_name,
        "reseller_name": relationship.reseller.legal_name,
        "provider_url": absolute_url(reverse("relationships:indirect_resellers")),
        "reseller_url": absolute_url(reverse("relationships:indirect_providers")),
    }
    provider_users = global_admins(organization=relationship.provider)
    invitation = relationship.invitation
    if invitation is not None:
        provider_users = [invitation.invited_by, *provider_users]
    key = f"relationships:authorized:{relationship.pk}"
    _send(
        key=f"{key}:provider",
        users=provider_users,
        template="relationships_provider_authorized",
        context={**context, "side": "provider"},
        org=relationship.provider,
    )
    _send(
        key=f"{key}:reseller",
        users=[actor, *global_admins(organization=relationship.reseller)],
        template="relationships_provider_authorized",
        context={**context, "side": "reseller"},
        org=relationship.reseller,
    )


def send_relationship_changed(
    relationship: ProviderRelationship, *, change: str, actor_org: Organization, event_id: int
) -> None:
    """`change` is "admin_access_removed" or "ended"; both sides hear about it."""
    context = {
        "change": change,
        "provider_name": relationship.provider.legal_name,
        "reseller_name": relationship.reseller.legal_name,
        "actor_name": actor_org.legal_name,
    }
    for org in (relationship.provider, relationship.reseller):
        _send(
            key=f"relationships:changed:{event_id}:{org.pk}",
            users=global_admins(organization=org),
            template="relationships_relationship_changed",
            context=context,
            org=org,
        )


def send_customer_invitation(invitation: CustomerInvitation) -> None:
    language = email_language(email=invitation.email, chosen=invitation.language)
    outbox_enqueue(
        key=f"relationships:customer-invitation:{invitation.pk}:{invitation.last_sent_at.timestamp()}",
        to=invitation.email,
        template="relationships_customer_invitation",
        context={
            "reseller_name": invitation.organization.legal_name,
            "provider_name": invitation.provider.legal_name,
            "company_name": invitation.company_name,
            "url": invitation_url(invitation.key),
            "expires_on": _date_in(invitation.expires_at, language),
        },
        language=language,
        organization=invitation.organization,
    )


def send_customer_accepted(invitation: CustomerInvitation, *, customer: Organization) -> None:
    context = {
        "customer_name": customer.legal_name,
        "reseller_name": invitation.organization.legal_name,
        "provider_name": invitation.provider.legal_name,
        "url": absolute_url(reverse("relationships:customers")),
    }
    _send(
        key=f"relationships:customer-accepted:{invitation.pk}:reseller",
        users=[invitation.invited_by, *global_admins(organization=invitation.organization)],
        template="relationships_customer_accepted",
        context=context,
        org=invitation.organization,
    )
    _send(
        key=f"relationships:customer-accepted:{invitation.pk}:provider",
        users=global_admins(organization=invitation.provider),
        template="relationships_customer_accepted",
        context=context,
        org=invitation.provider,
    )
