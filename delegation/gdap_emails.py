"""What each GDAP email says, and to whom it goes: the request to the customer's Global admins,
each answer or end to both sides' Global admins, and the warnings 30 and 7 days before the end.
Every email is an outbox row written in the transaction of the change that causes it; the
templates are emails/delegation_gdap_*."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import translation

from portal.models import DelegatedRole, Organization, User
from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language, global_admins
from portal.templatetags.portal_formats import local_date

from .models import GDAP_ROLES, GdapRelationship


def answer_url(relationship: GdapRelationship) -> str:
    return absolute_url(reverse("delegation:gdap_answer", args=[relationship.key]))


def _date_in(value: datetime | None, language: str) -> str:
    if value is None:
        return ""
    with translation.override(language):
        return local_date(value)


def _roles_in(roles: list[str], language: str) -> list[str]:
    with translation.override(language):
        return [str(DelegatedRole(role).label) for role in GDAP_ROLES if role in roles]


def _send(
    *,
    key: str,
    users: list[User],
    template: str,
    relationship: GdapRelationship,
    org: Organization,
    **extra: object,
) -> None:
    seen: set[str] = set()
    for user in users:
        if user.email in seen:
            continue
        seen.add(user.email)
        language = email_language(user=user, organization=org)
        outbox_enqueue(
            key=f"{key}:{user.pk}",
            to=user.email,
            template=template,
            context={
                "name": relationship.name,
                "partner_name": relationship.partner.legal_name,
                "customer_name": relationship.customer.legal_name,
                "roles": _roles_in(relationship.roles, language),
                "duration_days": relationship.duration_days,
                "ends_on": _date_in(relationship.ends_at, language),
                "expires_on": _date_in(relationship.request_expires_at, language),
                **extra,
            },
            language=language,
            organization=org,
        )


def send_gdap_request(relationship: GdapRelationship) -> None:
    """To the customer's Global admins: what is asked, and the link to answer it."""
    customer = relationship.customer
    _send(
        key=f"delegation:gdap:request:{relationship.pk}",
        users=global_admins(organization=customer),
        template="delegation_gdap_request",
        relationship=relationship,
        org=customer,
        requester_name=relationship.requested_by.get_full_name(),
        url=answer_url(relationship),
        auto_extend=relationship.auto_extend,
    )


def send_gdap_changed(relationship: GdapRelationship, *, change: str, event_id: int) -> None:
    """`change`: approved, declined, expired, ended, extended. Both sides' Global admins hear
    it (the partner's requester too)."""
    partner_users = [relationship.requested_by, *global_admins(organization=relationship.partner)]
    for org, users in (
        (relationship.partner, partner_users),
        (relationship.customer, global_admins(organization=relationship.customer)),
    ):
        _send(
            key=f"delegation:gdap:{change}:{relationship.pk}:{event_id}:{org.pk}",
            users=users,
            template="delegation_gdap_changed",
            relationship=relationship,
            org=org,
            change=change,
            actor_name=(
                relationship.ended_by_organization.legal_name
                if relationship.ended_by_organization
                else ""
            ),
        )


def send_gdap_warning(relationship: GdapRelationship, *, days: int) -> None:
    """Both sides: the roles end in `days` days (once per warning and end date)."""
    assert relationship.ends_at is not None
    stamp = int(relationship.ends_at.timestamp())
    partner_users = [relationship.requested_by, *global_admins(organization=relationship.partner)]
    for org, users in (
        (relationship.partner, partner_users),
        (relationship.customer, global_admins(organization=relationship.customer)),
    ):
        _send(
            key=f"delegation:gdap:warning:{relationship.pk}:{stamp}:{days}:{org.pk}",
            users=users,
            template="delegation_gdap_warning",
            relationship=relationship,
            org=org,
            days=days,
            auto_extend=relationship.auto_extend,
        )
