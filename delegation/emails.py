"""What each delegated admin email says, and to whom it goes. Every email is an outbox row
written in the transaction of the change that causes it; the templates are emails/delegation_*."""

from __future__ import annotations

from django.urls import reverse

from portal.models import Organization
from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language, global_admins

from .models import AdminAccess


def send_admin_access_removed(access: AdminAccess, *, actor_org: Organization) -> None:
    """The partner's and the customer's Global admins hear that the access ended (the reseller's
    too when it removed its provider's: it acted, and it keeps the customer relationship)."""
    context = {
        "partner_name": access.partner.legal_name,
        "customer_name": access.customer.legal_name,
        "actor_name": actor_org.legal_name,
    }
    links = {
        access.partner.pk: reverse("relationships:customers"),
        access.reseller.pk: reverse("relationships:customers"),
        access.customer.pk: reverse("delegation:partner_relationships"),
    }
    organizations = {org.pk: org for org in (access.partner, access.customer, actor_org)}
    for org in organizations.values():
        seen: set[str] = set()
        url = absolute_url(links.get(org.pk, "/"))
        for user in global_admins(organization=org):
            if user.email in seen:
                continue
            seen.add(user.email)
            outbox_enqueue(
                key=f"delegation:admin-access-removed:{access.pk}:{org.pk}:{user.pk}",
                to=user.email,
                template="delegation_admin_access_removed",
                context={**context, "url": url},
                language=email_language(user=user, organization=org),
                organization=org,
            )
