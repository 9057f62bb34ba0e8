"""The invitation forms ask for the address first, then the optional language of the email
sent to it (Partner Center's order): a person, a screen reader or a script filling the form in
order meets the address before the select that refers to it."""

import re

import pytest

from relationships.forms import CustomerInviteForm, ResellerInviteForm
from tests.factories import member
from tests.relationships.factories import ProviderRelationshipFactory, provider_org

pytestmark = pytest.mark.django_db


def field_names(page: str) -> list[str]:
    """The names of the inputs and selects of the form that asks for the address, in page
    order (hidden inputs aside)."""
    start = page.rfind("<form", 0, page.index('name="email"'))
    form = page[start : page.index("</form>", start)]
    names = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bname="([^"]+)"', form)
    return names


def visible(form) -> list[str]:
    """The fields a person fills in (the one-time form token aside)."""
    return [field.name for field in form.visible_fields()]


def test_the_forms_put_the_language_right_after_the_address():
    assert visible(ResellerInviteForm()) == ["email", "language", "partner_id"]
    assert visible(CustomerInviteForm()) == [
        "provider",
        "email",
        "language",
        "company_name",
        "include_admin_access",
    ]


def test_the_reseller_invitation_page_shows_the_address_before_the_language(client_for):
    page = client_for(member(provider_org())).get("/indirect-resellers/").text
    assert field_names(page) == ["email", "language", "partner_id"]


def test_the_customer_invitation_page_shows_the_address_before_the_language(client_for):
    relationship = ProviderRelationshipFactory()
    page = client_for(member(relationship.reseller)).get("/indirect-providers/invite-customer/")
    assert field_names(page.text) == [
        "provider",
        "email",
        "language",
        "company_name",
        "include_admin_access",
    ]
