"""Demo legal profiles of the reseller organizations (DOMAIN.md demo data). Idempotent."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal.models import Market, Organization

from .models import LegalProfile

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


@transaction.atomic
def seed() -> None:
    for domain, fields in PROFILES.items():
        organization = Organization.objects.get(primary_domain=domain)
        values = {**fields, "country": Market.objects.get(code=fields["country"])}
        profile, _created = LegalProfile.objects.get_or_create(
            organization=organization,
            defaults={**values, "submitted_at": timezone.now()},
        )
        if organization.enrolled_at is None:
            organization.enrolled_at = profile.submitted_at
            organization.save(update_fields=["enrolled_at"])
