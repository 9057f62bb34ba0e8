"""Demo organizations and users (DOMAIN.md "Demo data"). Idempotent: run it any number of times.

Each app's state is added by its module beside this one (enrolment drafts, verification cases,
relationships); `manage.py seed_demo` runs them in order."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from portal.models import Market, Membership, Organization, User

PASSWORD = "Demo-Partner-2026"


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once per process, for every demo and scale user: the hasher is slow on
    purpose (about half a second of CPU each), and the demo's users share one password."""
    return make_password(PASSWORD)


# The demo's story, in days before the seed runs, so its dates agree with each other and with
# today: Northwind enrolled four months ago, was verified within the week and accepted the
# agreement the day after; Contoso's partnership is a month old; Tailspin enrolled three days
# ago and has waited on a reviewer since yesterday (inside the 2 business days before the case
# escalates, whatever the weekday the demo is seeded on); Wingtip enrolled yesterday and waits
# on its primary contact.
DEMO_DAYS_AGO: dict[str, dict[str, int]] = {
    "northwind-it.example": {"enrolled": 120, "verified": 116, "agreement": 115},
    "tailspin-cloud.example": {"enrolled": 3, "in_review": 1},
    "wingtip-systems.example": {"enrolled": 1},
}
AGREEMENT_PUBLISHED_DAYS_AGO = 150
# Before the oldest demo order (100 days: months of invoices), after the agreement (115).
CONTOSO_PARTNERSHIP_DAYS_AGO = 110


def demo_days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


Kind = Organization.Kind
Status = Organization.Status


@dataclass(frozen=True)
class DemoOrg:
    email: str
    first_name: str
    last_name: str
    legal_name: str
    kind: str
    country: str
    status: str
    # The company's language: its users' and its emails' (Northwind and Adatum are Italian).
    language: str = "en"


DEMO_ORGS = [
    DemoOrg(
        "reviewer@csp-operator.example",
        "Riley",
        "Reviewer",
        "CSP Programme Operator",
        Kind.OPERATOR,
        "US",
        Status.VERIFIED,
    ),
    DemoOrg(
        "admin@contoso-distribution.example",
        "Chiara",
        "Conti",
        "Contoso Distribution",
        Kind.PROVIDER,
        "IE",
        Status.VERIFIED,
    ),
    DemoOrg(
        "admin@fabrikam-supply.example",
        "Frank",
        "Miller",
        "Fabrikam Supply",
        Kind.PROVIDER,
        "US",
        Status.VERIFIED,
    ),
    DemoOrg(
        "admin@northwind-it.example",
        "Nadia",
        "Rossi",
        "Northwind IT S.r.l.",
        Kind.RESELLER,
        "IT",
        Status.VERIFIED,
        "it",
    ),
    DemoOrg(
        "admin@tailspin-cloud.example",
        "Tobias",
        "Becker",
        "Tailspin Cloud GmbH",
        Kind.RESELLER,
        "DE",
        Status.SUBMITTED,
    ),
    DemoOrg(
        "admin@wingtip-systems.example",
        "Willa",
        "Dubois",
        "Wingtip Systems SAS",
        Kind.RESELLER,
        "FR",
        Status.SUBMITTED,
    ),
    DemoOrg(
        "admin@litware-solutions.example",
        "Liam",
        "Walker",
        "Litware Solutions Inc.",
        Kind.RESELLER,
        "US",
        Status.DRAFT,
    ),
    DemoOrg(
        "admin@adatum-retail.example",
        "Alessia",
        "Bianchi",
        "Adatum Retail S.p.A.",
        Kind.CUSTOMER,
        "IT",
        Status.VERIFIED,
        "it",
    ),
    # Northwind's two other customers (devtools.demo.relationships shares them with Contoso):
    # Proseware answers Contoso's pending GDAP request; Woodgrove accepted without admin access.
    DemoOrg(
        "admin@proseware-italia.example",
        "Paolo",
        "Esposito",
        "Proseware Italia S.r.l.",
        Kind.CUSTOMER,
        "IT",
        Status.VERIFIED,
        "it",
    ),
    DemoOrg(
        "admin@woodgrove-trattorie.example",
        "Giulia",
        "Marino",
        "Woodgrove Trattorie S.p.A.",
        Kind.CUSTOMER,
        "IT",
        Status.VERIFIED,
        "it",
    ),
]


def _verified_user(spec: DemoOrg) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email=spec.email).first()
    if user is None:
        user = User.objects.create(
            email=spec.email,
            password=password_hash(),
            first_name=spec.first_name,
            last_name=spec.last_name,
            language=spec.language,
        )
    EmailAddress.objects.update_or_create(
        user=user, email=spec.email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def seed() -> dict[str, Organization]:
    """Create (or find) every demo organization with its Global admin; returns them by email."""
    orgs: dict[str, Organization] = {}
    for spec in DEMO_ORGS:
        user = _verified_user(spec)
        domain = spec.email.split("@", 1)[1]
        org, _created = Organization.objects.get_or_create(
            primary_domain=domain,
            defaults={
                "legal_name": spec.legal_name,
                "kind": spec.kind,
                "status": spec.status,
                "country": Market.objects.get(code=spec.country),
                "language": spec.language,
            },
        )
        roles = {"global_admin": True}
        if spec.kind == Kind.OPERATOR:
            roles = {"global_admin": True, "verification_admin": True}
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        Membership.objects.get_or_create(user=user, organization=org, defaults=roles)
        orgs[spec.email] = org
    return orgs
