"""WCAG 1.3.5 (Identify Input Purpose): the fields asking for the company's and the person's own
details carry their autocomplete token, in the wizard, on Legal info and on the agreement."""

import pytest

from enrollment.forms import (
    AgreementAcceptForm,
    ContactForm,
    LegalForm,
    LegalInfoContactsForm,
    LegalInfoEditForm,
)
from portal.models import Market

pytestmark = pytest.mark.django_db

ADDRESS = {
    "address_line1": "address-line1",
    "address_line2": "address-line2",
    "city": "address-level2",
    "state": "address-level1",
    "postal_code": "postal-code",
    "phone": "tel",
    "website": "url",
}
CONTACT = {
    "primary_contact_first_name": "given-name",
    "primary_contact_last_name": "family-name",
    "primary_contact_email": "email",
    "primary_contact_phone": "tel",
}


def _tokens(form) -> dict[str, str | None]:
    return {name: field.widget.attrs.get("autocomplete") for name, field in form.fields.items()}


def test_wizard_legal_step_fields_have_autocomplete_tokens():
    tokens = _tokens(LegalForm())
    assert tokens | ADDRESS == tokens
    assert tokens["legal_name"] == "organization" and tokens["country"] == "country"


def test_legal_info_fields_have_the_same_tokens_as_the_wizard():
    country = Market.objects.get(code="IT")
    assert _tokens(LegalInfoEditForm(country=country)) | ADDRESS == _tokens(
        LegalInfoEditForm(country=country)
    )
    contacts = _tokens(LegalInfoContactsForm(organization_domain="example.com", country=country))
    assert contacts | CONTACT == contacts
    # The company's support desk is not the person filling in the form.
    assert contacts["support_email"] is None


def test_contact_step_and_agreement_name_the_person():
    assert _tokens(ContactForm(organization_domain="example.com", country=None)) == CONTACT
    assert _tokens(AgreementAcceptForm()) | {
        "first_name": "given-name",
        "last_name": "family-name",
        "title": "organization-title",
        "email": "email",
    } == _tokens(AgreementAcceptForm())
