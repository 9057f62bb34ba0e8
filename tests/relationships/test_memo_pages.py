"""The relationships lists compile their SQL once per organization and query string
(`ListPage.memo_page`, `memo_uncounted_page`, the Recent changes and regions selectors,
`portal.sqlmemo`; a searched page once whatever the term, `ListPage.search_memo_page`) and
keep nothing else: a change shows on the very next request, and each
tenant's page reads its own rows only."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from portal import sqlmemo
from relationships import selectors
from relationships.models import ProviderRelationship, RelationshipEvent
from relationships.views import IndirectResellersView
from tests.factories import member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def test_resellers_page_shows_a_change_on_the_next_request(client_for):
    first = ProviderRelationshipFactory()
    provider = first.provider
    client = client_for(member(provider))
    text = client.get("/indirect-resellers/").text
    assert first.reseller.legal_name in text and "1 result" in text

    second = ProviderRelationshipFactory(provider=provider)
    CustomerRelationshipFactory(relationship=second)
    invitation = ResellerInvitationFactory(organization=provider)
    RelationshipEvent.objects.create(
        relationship=second, type=RelationshipEvent.Type.ENDED, actor_organization=provider
    )
    text = client.get("/indirect-resellers/").text
    assert second.reseller.legal_name in text and "2 results" in text
    assert "1 customer" in text
    assert invitation.email in text
    assert f"Relationship ended: {provider.legal_name} and {second.reseller.legal_name}" in text


def test_each_provider_reads_its_own_rows_from_the_same_statements(client_for):
    one = CustomerRelationshipFactory()
    two = CustomerRelationshipFactory()
    for shared, other in ((one, two), (two, one), (one, two)):
        client = client_for(member(shared.provider))
        for path in ("/customers/", "/indirect-resellers/"):
            text = client.get(path).text
            assert shared.reseller.legal_name in text
            assert other.reseller.legal_name not in text
        text = client.get("/customers/").text
        assert shared.customer.legal_name in text
        assert other.customer.legal_name not in text


def test_customers_page_shows_a_new_customer_and_the_new_count_on_the_next_request(client_for):
    shared = CustomerRelationshipFactory()
    client = client_for(member(shared.provider))
    assert "1 result" in client.get("/customers/").text
    relationship = ProviderRelationship.objects.get(provider=shared.provider)
    added = CustomerRelationshipFactory(relationship=relationship)
    text = client.get("/customers/").text
    assert added.customer.legal_name in text and "2 results" in text


def _resellers_of(provider, *names: str) -> list[Any]:
    return [
        ProviderRelationshipFactory(provider=provider, reseller=reseller_org(legal_name=name))
        for name in names
    ]


def _search_each_twice(client_for, pages: dict[tuple[Any, str], set[str]]) -> None:
    """Each provider's search for each term, twice (compiled on the first round, replayed on
    the second): each page shows that provider's matching resellers only, and their count."""
    everyone = set().union(*pages.values())
    for _ in range(2):
        for (provider, term), shown in pages.items():
            text = client_for(member(provider)).get(f"/indirect-resellers/?q={term}").text
            assert {name for name in everyone if name in text} == shown
            assert f"{len(shown)} result{'s' if len(shown) > 1 else ''}" in text


def test_a_search_reads_each_term_and_tenant_from_one_statement(client_for):
    """The page tests each row's own copy of its reseller's name against the term, its SQL
    compiled once per provider whatever the term (`ListPage.search_memo_page` with the term as
    the marker); a rename shows at once."""
    one, two = provider_org(legal_name="Memo One Cloud"), provider_org(legal_name="Memo Two")
    _resellers_of(one, "Broadmemo Alpha", "Broadmemo Beta", "Wideterm Alpha", "Wideterm Beta")
    _resellers_of(two, "Broadmemo Gamma", "Wideterm Gamma")
    pages = {
        (one, "broadmemo"): {"Broadmemo Alpha", "Broadmemo Beta"},
        (one, "wideterm"): {"Wideterm Alpha", "Wideterm Beta"},
        (two, "broadmemo"): {"Broadmemo Gamma"},
        (two, "wideterm"): {"Wideterm Gamma"},
    }
    _search_each_twice(client_for, pages)
    lists = {("IndirectResellersView", one.pk), ("IndirectResellersView", two.pk)}
    keys: list[Any] = list(sqlmemo._memo)
    searched = [sqlmemo._memo[key] for key in keys if key[-1] == "term" and key[0][0][:2] in lists]
    assert len(searched) == 2  # one statement per provider (and page), whatever the term
    if connection.vendor == "postgresql":  # SQLite's moments have converters: the ORM reads
        assert all(isinstance(value, sqlmemo._Compiled) for value in searched)

    renamed = ProviderRelationship.objects.get(provider=one, reseller__legal_name="Broadmemo Beta")
    renamed.reseller.legal_name = "Renamed reseller"
    renamed.reseller.save(update_fields=["legal_name"])
    text = client_for(member(one)).get("/indirect-resellers/?q=broadmemo").text
    assert "Broadmemo Alpha" in text and "Broadmemo Beta" not in text and "1 result" in text


def test_a_searched_page_shows_a_change_on_the_next_request(client_for):
    provider = provider_org()
    _resellers_of(provider, "Numbatsearch First")
    client = client_for(member(provider))
    text = client.get("/indirect-resellers/?q=numbatsearch").text
    assert "Numbatsearch First" in text and "1 result" in text

    (second,) = _resellers_of(provider, "Numbatsearch Second")
    CustomerRelationshipFactory(relationship=second)
    text = client.get("/indirect-resellers/?q=numbatsearch").text
    assert "Numbatsearch Second" in text and "2 results" in text
    assert "1 customer" in text
    second.reseller.legal_name = "Renamed reseller"
    second.reseller.save(update_fields=["legal_name"])
    text = client.get("/indirect-resellers/?q=numbatsearch").text
    assert "Numbatsearch Second" not in text and "1 result" in text
    assert "No indirect resellers yet." in client.get("/indirect-resellers/?q=zzqqnone").text


def test_a_searched_page_past_the_last_shows_the_last_one(client_for, monkeypatch):
    monkeypatch.setattr(IndirectResellersView, "paginate_by", 2)
    provider = provider_org()
    _resellers_of(provider, *(f"Dingosearch {n}" for n in range(3)))
    client = client_for(member(provider))
    for page in ("2", "9", "999"):
        text = client.get(f"/indirect-resellers/?q=dingosearch&page={page}").text
        assert "3 results" in text
        assert sum(f"Dingosearch {n}" in text for n in range(3)) == 1


def test_organizations_matching_reads_each_term_and_a_new_match_at_once():
    """`portal.sqlmemo.memo_rows_of_term`: one statement whatever the term, LIKE's wildcards
    in a term matched as themselves, a new organization found by the very next search."""
    first = reseller_org(legal_name="Termmemo 50% Off")
    other = reseller_org(legal_name="Termmemo 50 Off", primary_domain="under_score.example")
    for _ in range(2):
        assert set(selectors.organizations_matching("termmemo")) == {first.pk, other.pk}
        assert selectors.organizations_matching("termmemo 50%") == [first.pk]
        assert selectors.organizations_matching("under_score", domains=True) == [other.pk]
        assert selectors.organizations_matching("under_score") == []
        assert selectors.organizations_matching("termmemo", limit=1) is None
    added = reseller_org(legal_name="Termmemo Added")
    assert added.pk in (selectors.organizations_matching("termmemo") or [])
