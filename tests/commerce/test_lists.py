"""/subscriptions/: who sees which subscriptions, the filters, the keyset pages, the links."""

from __future__ import annotations

import re

import pytest

from portal.models import DelegatedRole
from tests.commerce.billing_factories import subscription
from tests.factories import member
from tests.relationships.factories import CustomerRelationshipFactory, customer_org

pytestmark = pytest.mark.django_db

NAMES = ("Seats Suite", "Storage Plan", "Othersuite Plan")


def table(text: str) -> str:
    """The subscriptions table (empty when the page shows none)."""
    start = text.find("<table")
    return text[start : text.index("</table>", start)] if start >= 0 else ""


def rows(text: str) -> int:
    return table(text).count("<tr>") - 1 if table(text) else 0


def test_provider_sees_the_subscriptions_it_bills_and_nothing_of_another_provider(book, client_for):
    text = client_for(member(book.provider)).get("/subscriptions/").text
    shown = table(text)
    assert rows(text) == 4
    assert "Alphacust Retail" in shown and "Betacust Foods" in shown
    assert "Othersuite Plan" not in text and "Othercust Travel" not in text


def test_reseller_sees_the_subscriptions_sold_through_it(book, client_for):
    text = client_for(member(book.reseller)).get("/subscriptions/").text
    assert rows(text) == 4
    assert "Othercust Travel" not in text


def test_customer_sees_only_its_own_subscriptions(book, client_for):
    text = client_for(member(book.alpha)).get("/subscriptions/").text
    assert rows(text) == 3
    assert "Betacust" not in text and "Othercust" not in text
    # Its own list has no customer column and no customer search.
    assert 'name="q"' not in text
    assert '<th scope="col">Customer</th>' not in text


def test_another_tenant_sees_none_of_them(book, client_for):
    other_provider = member(book.other.provider)
    text = client_for(other_provider).get("/subscriptions/").text
    assert rows(text) == 1 and "Othersuite Plan" in text
    assert "Alphacust" not in text and "Betacust" not in text


def test_a_filter_naming_another_tenants_customer_shows_nothing_and_names_nobody(book, client_for):
    client = client_for(member(book.other.provider))
    text = client.get(f"/subscriptions/?customer={book.alpha.pk}").text
    assert rows(text) == 0 and "No subscriptions match these filters." in text
    assert "Alphacust" not in text
    assert "No customer of yours has this number." in text


def test_every_role_of_a_partner_sees_the_list_and_an_operator_gets_a_404(book, client_for):
    for role in ("admin_agent", "sales_agent", "helpdesk_agent", "billing_admin"):
        response = client_for(member(book.provider, **{role: True})).get("/subscriptions/")
        assert response.status_code == 200, role
    from portal.models import Organization
    from tests.factories import OrganizationFactory

    operator = OrganizationFactory(kind=Organization.Kind.OPERATOR)
    reviewer = member(operator, verification_admin=True)
    assert client_for(reviewer).get("/subscriptions/").status_code == 404


def test_partner_acting_for_a_customer_sees_that_customers_subscriptions(book, delegated_client):
    client = delegated_client(book.beta, book.provider, {DelegatedRole.LICENSE_ADMINISTRATOR})
    text = client.get("/subscriptions/").text
    assert rows(text) == 1
    assert "Seats Suite" in text and "Alphacust" not in text


def test_delegated_role_without_subscriptions_is_refused(book, delegated_client):
    client = delegated_client(book.beta, book.provider, {DelegatedRole.USER_ADMINISTRATOR})
    assert client.get("/subscriptions/").status_code == 403


def test_status_filter(book, client_for):
    client = client_for(member(book.provider))
    text = client.get("/subscriptions/?status=cancelled").text
    assert rows(text) == 1 and "Cancelled" in table(text)
    assert rows(client.get("/subscriptions/?status=active").text) == 3
    # An unknown status is refused beside the field, and the list is not narrowed by it.
    text = client.get("/subscriptions/?status=bogus").text
    assert "Select a valid choice" in text and rows(text) == 4


@pytest.mark.parametrize(
    ("match_limit", "few"),
    [(1000, 5000), (0, 0)],
    ids=["by-ids-reading-all", "by-join-through-the-index"],
)
def test_customer_name_search(book, client_for, monkeypatch, match_limit, few):
    """The subscriptions are searched on their own copy of the customer's name (every one of a
    small organization's, or through the trigram index); the Billing page's per-customer totals
    by the matching customers' ids, or a join when too many match: either way the same rows,
    and a rename shows on the next request."""
    from commerce import selectors as commerce_selectors
    from relationships import selectors

    monkeypatch.setattr(selectors, "SEARCH_MATCH_LIMIT", match_limit)
    monkeypatch.setattr(commerce_selectors, "FEW_SUBSCRIPTIONS", few)
    client = client_for(member(book.reseller))
    text = client.get("/subscriptions/?q=alphac").text
    assert rows(text) == 3 and "Betacust" not in table(text)
    # Another tenant's customer with a matching name is never found.
    assert rows(client.get("/subscriptions/?q=othercust").text) == 0
    billing = client.get("/billing/?q=alphac").text
    start = billing.index('id="customer-totals-heading"')
    totals = billing[start : billing.index("</section>", start)]
    assert "Alphacust" in totals and "Betacust" not in totals

    book.alpha.legal_name = "Gammacust Renamed"
    book.alpha.save(update_fields=["legal_name"])
    assert rows(client.get("/subscriptions/?q=alphac").text) == 0
    text = client.get("/subscriptions/?q=GAMMACUST").text
    assert rows(text) == 3 and "Gammacust Renamed" in table(text)


def test_customer_filter_from_the_customer_page(book, client_for):
    text = client_for(member(book.provider)).get(f"/subscriptions/?customer={book.beta.pk}").text
    assert rows(text) == 1
    assert "Showing the subscriptions of Betacust Foods." in text
    assert "Show every customer\N{RIGHT SINGLE QUOTATION MARK}s subscriptions" in text


def test_columns_show_quantity_status_term_end_auto_renew_and_cost_with_currency(book, client_for):
    text = table(
        client_for(member(book.provider)).get(f"/subscriptions/?customer={book.beta.pk}").text
    )
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", text, flags=re.S)
    assert "5" in cells and "Active" in cells and "On" in cells
    assert "$60.00" in cells
    assert book.beta_seats.term_end.strftime("%Y") in text
    assert "<time datetime=" in text


def test_customer_links_to_the_customer_page_only_for_roles_that_see_customers(book, client_for):
    link = f'href="/customers/{book.alpha.pk}/"'
    assert link in client_for(member(book.provider, sales_agent=True)).get("/subscriptions/").text
    billing = client_for(member(book.provider, billing_admin=True)).get("/subscriptions/").text
    assert link not in billing and "Alphacust Retail" in billing


def test_each_row_links_to_its_subscription_page(book, client_for):
    text = client_for(member(book.reseller)).get("/subscriptions/").text
    for sub in (book.alpha_seats, book.alpha_storage, book.alpha_cancelled, book.beta_seats):
        assert f'href="/subscriptions/{sub.pk}/"' in text


def _shown(text: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/subscriptions/(\d+)/"', text)]


def test_keyset_pages_cover_every_subscription_once_newest_first(client_for):
    from datetime import timedelta

    from django.utils import timezone

    relationship = CustomerRelationshipFactory()
    now = timezone.now()
    # Two share a purchase moment: the id breaks the tie across the page boundary.
    moments = [now - timedelta(hours=i) for i in range(29)] + [now - timedelta(hours=24)]
    made = [subscription(relationship, purchased_at=moment) for moment in moments]
    client = client_for(member(relationship.provider))
    text = client.get("/subscriptions/").text
    first = _shown(text)
    assert len(first) == 25
    older = re.search(r'href="\?after=([^"]+)"', text)
    assert older, "no link to older subscriptions"
    text = client.get(f"/subscriptions/?after={older.group(1)}").text
    second = _shown(text)
    assert len(second) == 5
    assert sorted(first + second) == sorted(s.pk for s in made)
    expected = [s.pk for s in sorted(made, key=lambda s: (s.purchased_at, s.pk), reverse=True)]
    assert first + second == expected
    newer = re.search(r'href="\?before=([^"]+)"', text)
    assert newer
    assert _shown(client.get(f"/subscriptions/?before={newer.group(1)}").text) == first


def test_filters_are_kept_in_the_page_links(client_for):
    relationship = CustomerRelationshipFactory()
    for _ in range(27):
        subscription(relationship)
    text = client_for(member(relationship.provider)).get("/subscriptions/?status=active").text
    assert re.search(r'href="\?status=active&amp;after=', text)


# Fixed number of queries ----------------------------------------------------------------------


def _queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx)


SIDE_PATHS = [
    "/subscriptions/",
    "/subscriptions/?status=active",
    "/subscriptions/?q=customer",
    "/subscriptions/?customer={customer}",
    "/subscriptions/?after=1700000000000000.1",
]


@pytest.mark.parametrize("side", ["provider", "reseller", "customer"])
@pytest.mark.parametrize("path", SIDE_PATHS)
def test_queries_do_not_grow_with_rows(client_for, side, path):
    counts = []
    for n in (1, 3):
        relationship = CustomerRelationshipFactory(
            customer=customer_org(legal_name=f"Customer {n} Srl")
        )
        for _ in range(n):
            # Each subscription of a customer of its own (but the customer's own list).
            target = (
                relationship
                if side == "customer"
                else CustomerRelationshipFactory(relationship=_pair(relationship))
            )
            subscription(target)
        viewer = getattr(relationship, side)
        client = client_for(member(viewer))
        counts.append(
            _queries(
                client,
                path.format(customer=relationship.customer_id),
            )
        )
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def _pair(relationship):
    from relationships.models import ProviderRelationship

    return ProviderRelationship.objects.get(
        provider=relationship.provider, reseller=relationship.reseller
    )


def test_delegated_list_queries_do_not_grow_with_rows(delegated_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 3):
        relationship = CustomerRelationshipFactory()
        for _ in range(n):
            subscription(relationship)
        client = delegated_client(
            relationship.customer, relationship.provider, {DelegatedRole.BILLING_READER}
        )
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/subscriptions/").status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
