"""Demo GDAP (DOMAIN.md demo data): Contoso, whose admin access (DAP) to Northwind's customer
Proseware Italia was removed, asked Proseware two days ago for User and Helpdesk administrator
roles instead; the request waits for Proseware's answer. Idempotent; called at the end of
`devtools.demo.delegation.seed()` (after relationships' demo, which creates the customers)."""

from __future__ import annotations

import secrets

from django.db import transaction

from delegation.models import GDAP_REQUEST_VALIDITY, GdapRelationship
from portal.models import DelegatedRole, Membership, Organization

from .portal import demo_days_ago

GDAP_DEMO_NAME = "Contoso support 2027"


@transaction.atomic
def seed_gdap_demo() -> None:
    contoso = Organization.objects.filter(primary_domain="contoso-distribution.example").first()
    proseware = Organization.objects.filter(primary_domain="proseware-italia.example").first()
    if contoso is None or proseware is None:
        return
    agent = (
        Membership.objects.filter(organization=contoso, global_admin=True)
        .select_related("user")
        .first()
    )
    if agent is None:
        return
    requested_at = demo_days_ago(2)
    GdapRelationship.objects.get_or_create(
        partner=contoso,
        customer=proseware,
        name=GDAP_DEMO_NAME,
        defaults={
            "key": secrets.token_urlsafe(32),
            "roles": [
                DelegatedRole.USER_ADMINISTRATOR.value,
                DelegatedRole.HELPDESK_ADMINISTRATOR.value,
            ],
            "duration_days": 365,
            "auto_extend": True,
            "requested_by": agent.user,
            "requested_at": requested_at,
            "request_expires_at": requested_at + GDAP_REQUEST_VALIDITY,
            "next_action_at": requested_at + GDAP_REQUEST_VALIDITY,
        },
    )
