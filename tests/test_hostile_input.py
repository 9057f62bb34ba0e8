"""What PostgreSQL cannot store (NUL, lone surrogates) never reaches it: searches drop it, forms
refuse it beside the field, and the wizard's Back keeps only clean, bounded text."""

from __future__ import annotations

import pytest

from enrollment.models import EnrollmentDraft
from portal.forms import clean_query_text, storable_text
from tests.enrollment.factories import contact_data, drafting_user
from tests.factories import member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)


def test_storable_text_drops_nul_and_lone_surrogates_and_keeps_everything_else():
    assert storable_text("Ac\x00me \ud800Cloud \U0001f600 ß") == "Acme Cloud \U0001f600 ß"


def test_a_search_term_is_storable_trimmed_and_bounded():
    assert clean_query_text("  be\x00ta \udfff ") == "beta"
    assert len(clean_query_text("x" * 500)) == 100


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/indirect-resellers/", "/indirect-resellers/export.csv", "/customers/"]
)
def test_a_nul_in_a_providers_search_finds_what_the_clean_term_finds(client_for, path):
    provider = provider_org()
    for name in ("Beta", "Gamma"):
        CustomerRelationshipFactory(
            relationship=ProviderRelationshipFactory(
                provider=provider, reseller=reseller_org(legal_name=f"{name} Srl")
            ),
            customer=customer_org(legal_name=f"{name}cust Foods"),
        )
    client = client_for(member(provider))
    clean = _text(client.get(path, {"q": "beta"}))
    hostile = _text(client.get(path, {"q": "be\x00ta"}))
    for text in (clean, hostile):
        assert "Beta" in text and "Gamma" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/indirect-providers/", "/customers/", "/find-a-provider/"])
def test_a_nul_in_a_resellers_search_answers_the_page(client_for, path):
    """A term of only NUL is no term: the page lists what it lists unsearched."""
    reseller = reseller_org()
    shared = CustomerRelationshipFactory(
        relationship=ProviderRelationshipFactory(reseller=reseller)
    )
    client = client_for(member(reseller))
    expected = shared.provider.legal_name if path != "/customers/" else shared.customer.legal_name
    assert expected in _text(client.get(path))
    assert expected in _text(client.get(path, {"q": "\x00"}))


def _text(response) -> str:
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/customers/", "/customers/partners/"])
def test_a_nul_in_the_customers_partner_filter_filters_by_the_clean_name(client_for, path):
    provider = provider_org()
    shared = CustomerRelationshipFactory(
        relationship=ProviderRelationshipFactory(
            provider=provider, reseller=reseller_org(legal_name="Betamax Srl")
        )
    )
    response = client_for(member(provider)).get(path, {"reseller_q": "be\x00ta"})
    assert response.status_code == 200
    assert "Betamax" in response.text
    if path == "/customers/":
        assert shared.customer.legal_name in response.text


@pytest.mark.django_db
def test_back_keeps_the_typed_values_without_nul_and_within_each_fields_length(client):
    draft = drafting_user(through="legal")
    client.force_login(draft.user)
    typed = contact_data(
        draft.organization.primary_domain,
        primary_contact_first_name="Be\x00a",
        primary_contact_last_name="R" * 5000,
    )
    response = client.post("/enroll/reseller/contact/", {**typed, "nav": "back", "extra": "x"})
    assert response["Location"] == "/enroll/reseller/legal/"
    saved = EnrollmentDraft.objects.get(pk=draft.pk).data["contact"]
    assert saved["primary_contact_first_name"] == "Bea"
    assert saved["primary_contact_last_name"] == "R" * 50
    assert "extra" not in saved


@pytest.mark.django_db
def test_next_with_a_nul_is_refused_beside_the_field_and_saves_nothing(client):
    draft = drafting_user(through="legal")
    client.force_login(draft.user)
    before = EnrollmentDraft.objects.get(pk=draft.pk).data
    typed = contact_data(draft.organization.primary_domain, primary_contact_first_name="Be\x00a")
    page = client.post("/enroll/reseller/contact/", {**typed, "nav": "next"}).text
    assert "Null characters are not allowed." in page
    assert 'id="id_primary_contact_first_name_error"' in page
    assert EnrollmentDraft.objects.get(pk=draft.pk).data == before
