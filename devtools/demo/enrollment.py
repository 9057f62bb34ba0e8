"""Enrolment demo data (DOMAIN.md demo data). Idempotent: run it any number of times.

Legal profiles of the enrolled resellers; Northwind with its PartnerIDs (an Italian location ID
associated), an Admin agent and the Partner Agreement accepted, plus an unlinked legacy
membership account to try linking; Litware with a half-done draft that resumes at the primary
contact step."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from enrollment.models import (
    AgreementAcceptance,
    AgreementVersion,
    EnrollmentDraft,
    LegacyMembershipAccount,
    LegalProfile,
    PartnerId,
)
from portal.models import Market, Membership, Organization, User
from portal.request_context import context_changed_for_users

from .portal import AGREEMENT_PUBLISHED_DAYS_AGO, DEMO_DAYS_AGO, demo_days_ago, password_hash

PROFILES = {
    "northwind-it.example": {
        "legal_name": "Northwind IT S.r.l.",
        "address_line1": "Via Torino 12",
        "city": "Milano",
        "state": "MI",
        "postal_code": "20123",
        "country": "IT",
        "phone": "+39 02 1234 5678",
        "website": "https://northwind-it.example",
        "primary_contact_first_name": "Nadia",
        "primary_contact_last_name": "Rossi",
        "primary_contact_email": "nadia.rossi@northwind-it.example",
        "primary_contact_phone": "+39 02 1234 5600",
        "support_email": "support@northwind-it.example",
        "support_phone": "+39 02 1234 5699",
    },
    "tailspin-cloud.example": {
        "legal_name": "Tailspin Cloud GmbH",
        "address_line1": "Friedrichstraße 100",
        "city": "Berlin",
        "state": "",
        "postal_code": "10117",
        "country": "DE",
        "phone": "+49 30 1234567",
        "website": "https://tailspin-cloud.example",
        "primary_contact_first_name": "Tobias",
        "primary_contact_last_name": "Becker",
        "primary_contact_email": "tobias.becker@tailspin-cloud.example",
        "primary_contact_phone": "+49 30 1234500",
        "support_email": "support@tailspin-cloud.example",
        "support_phone": "+49 30 1234599",
    },
    "wingtip-systems.example": {
        "legal_name": "Wingtip Systems SAS",
        "address_line1": "10 rue de Rivoli",
        "city": "Paris",
        "state": "",
        "postal_code": "75001",
        "country": "FR",
        "phone": "+33 1 23 45 67 89",
        "website": "https://wingtip-systems.example",
        "primary_contact_first_name": "Willa",
        "primary_contact_last_name": "Dubois",
        "primary_contact_email": "willa.dubois@wingtip-systems.example",
        "primary_contact_phone": "+33 1 23 45 67 00",
        "support_email": "support@wingtip-systems.example",
        "support_phone": "+33 1 23 45 67 99",
    },
}


NORTHWIND_PARTNER_IDS = [
    ("4100001", PartnerId.Kind.GLOBAL, "Northwind IT (headquarters)", "IT", False),
    ("4100002", PartnerId.Kind.LOCATION, "Milano", "IT", True),
    ("4100003", PartnerId.Kind.LOCATION, "Lugano", "CH", False),
]

NORTHWIND_LEGACY = {
    "mpn_id": "4100009",
    "sign_in_name": "membership@northwind-it.example",
    "location_name": "Torino",
    "country": "IT",
}

LITWARE_LEGAL = {
    "legal_name": "Litware Solutions Inc.",
    "address_line1": "400 Market Street",
    "address_line2": "Suite 300",
    "city": "Seattle",
    "state": "WA",
    "postal_code": "98104",
    "country": "US",
    "phone": "+1 206-555-0142",
    "website": "https://litware-solutions.example",
    "registration_id": "",
}


@transaction.atomic
def seed() -> None:
    _seed_profiles()
    _seed_northwind()
    _seed_litware()


def _seed_profiles() -> None:
    for domain, fields in PROFILES.items():
        organization = Organization.objects.get(primary_domain=domain)
        values = {**fields, "country": Market.objects.get(code=fields["country"])}
        profile, _created = LegalProfile.objects.get_or_create(
            organization=organization,
            defaults={**values, "submitted_at": _enrolled_at(domain)},
        )
        if organization.enrolled_at is None:
            organization.enrolled_at = profile.submitted_at
            organization.save(update_fields=["enrolled_at"])


def _enrolled_at(domain: str) -> datetime.datetime:
    story = DEMO_DAYS_AGO.get(domain)
    return demo_days_ago(story["enrolled"]) if story else timezone.now()


def _seed_northwind() -> None:
    organization = Organization.objects.get(primary_domain="northwind-it.example")
    admin = User.objects.get(email="admin@northwind-it.example")
    Membership.objects.filter(user=admin, organization=organization).update(admin_agent=True)
    context_changed_for_users([admin.pk])  # no save() signal for an update()
    for mpn_id, kind, location, country, associated in NORTHWIND_PARTNER_IDS:
        PartnerId.objects.get_or_create(
            mpn_id=mpn_id,
            defaults={
                "organization": organization,
                "kind": kind,
                "location_name": location,
                "country": Market.objects.get(code=country),
                "is_associated": associated,
            },
        )
    LegacyMembershipAccount.objects.get_or_create(
        sign_in_name=NORTHWIND_LEGACY["sign_in_name"],
        defaults={
            **NORTHWIND_LEGACY,
            "country": Market.objects.get(code=NORTHWIND_LEGACY["country"]),
            "password_hash": password_hash(),
        },
    )
    version = AgreementVersion.objects.get(version="2026-01")
    accepted_at = demo_days_ago(DEMO_DAYS_AGO["northwind-it.example"]["agreement"])
    if version.published_at > accepted_at:  # the migration published it moments ago
        version.published_at = demo_days_ago(AGREEMENT_PUBLISHED_DAYS_AGO)
        version.save(update_fields=["published_at"])
    AgreementAcceptance.objects.get_or_create(
        organization=organization,
        version=version,
        defaults={
            "accepted_by": admin,
            "first_name": admin.first_name,
            "last_name": admin.last_name,
            "title": "Managing Director",
            "email": admin.email,
            "accepted_on": timezone.localdate(accepted_at),
            "accepted_at": accepted_at,
            "ip_address": "192.0.2.10",
        },
    )


def _seed_litware() -> None:
    organization = Organization.objects.get(primary_domain="litware-solutions.example")
    admin = User.objects.get(email="admin@litware-solutions.example")
    EnrollmentDraft.objects.get_or_create(
        user=admin,
        defaults={
            "organization": organization,
            "step": "contact",
            "data": {"legal": LITWARE_LEGAL},
        },
    )
