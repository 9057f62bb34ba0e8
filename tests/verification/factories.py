"""Verification test data: a submitted reseller with its legal profile, and operator reviewers."""

from __future__ import annotations

from enrollment.models import LegalProfile
from portal.models import Market, Membership, Organization
from tests.factories import OrganizationFactory, member


def submitted_reseller(*, country: str = "IT", **profile) -> Membership:
    """The Global admin of a reseller that submitted its enrolment."""
    admin = member(OrganizationFactory(status=Organization.Status.SUBMITTED))
    organization = admin.organization
    domain = organization.primary_domain
    fields = {
        "legal_name": organization.legal_name,
        "address_line1": "Via Roma 1",
        "city": "Milano",
        "postal_code": "20100",
        "country": Market.objects.get(code=country),
        "phone": "+39 02 0000 0000",
        "website": f"https://www.{domain}",
        "primary_contact_first_name": "Paola",
        "primary_contact_last_name": "Verdi",
        "primary_contact_email": f"paola.verdi@{domain}",
        "primary_contact_phone": "+39 02 0000 0001",
        "support_email": f"support@{domain}",
        "support_phone": "+39 02 0000 0002",
        **profile,
    }
    LegalProfile.objects.create(organization=organization, **fields)
    return admin


def operator_org() -> Organization:
    operator = Organization.objects.filter(kind=Organization.Kind.OPERATOR).first()
    return operator or OrganizationFactory(
        kind=Organization.Kind.OPERATOR, legal_name="Operator", primary_domain="operator.example"
    )


def reviewer() -> Membership:
    return member(operator_org(), verification_admin=True)
