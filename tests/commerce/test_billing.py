"""/billing/ and /billing/export.csv: who may read them, the totals, the filters, the CSV and
its streaming, the Italian amounts, and a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce.models import BillingTotal
from portal.models import DelegatedRole
from tests.commerce.billing_factories import subscription
from tests.factories import MembershipFactory, UserFactory, member
from tests.relationships.factories import CustomerRelationshipFactory, customer_org

pytestmark = pytest.mark.django_db


def section(text: str, heading_id: str) -> str:
    start = text.index(f'id="{heading_id}"')
    end = text.find("</section>", start)
    return text[start:end]


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response))))


# Who may read it ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("global_admin", 200),
        ("billing_admin", 200),
        ("admin_agent", 403),
        ("sales_agent", 403),
        ("helpdesk_agent", 403),
    ],
)
@pytest.mark.parametrize("side", ["provider", "reseller"])
def test_partner_roles(book, client_for, side, role, status):
    client = client_for(member(getattr(book, side), **{role: True}))
    assert client.get("/billing/").status_code == status
    assert client.get("/billing/export.csv").status_code == status


def test_customer_global_admin_reads_its_own_billing_only(book, client_for):
    text = client_for(member(book.alpha)).get("/billing/").text
    totals = section(text, "totals-heading")
    assert "€2,500.00" in totals  # 3 x 10.50 + 2 x 1,234.25; the cancelled one is not counted
    assert "$" not in totals  # Betacust's USD subscription is not Alphacust's
    assert 'id="customer-totals-heading"' not in text
    assert "Betacust" not in text and "Othercust" not in text


def test_customer_billing_admin_reads_it_and_a_sales_agent_does_not(book, client_for):
    assert client_for(member(book.alpha, billing_admin=True)).get("/billing/").status_code == 200
    assert client_for(member(book.alpha, sales_agent=True)).get("/billing/").status_code == 403


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        ({DelegatedRole.BILLING_READER}, 200),
        ({DelegatedRole.DELEGATED_ADMIN}, 200),
        ({DelegatedRole.LICENSE_ADMINISTRATOR}, 403),
        ({DelegatedRole.USER_ADMINISTRATOR}, 403),
    ],
)
def test_delegated_roles_in_a_customers_account(book, delegated_client, roles, status):
    client = delegated_client(book.beta, book.provider, roles)
    response = client.get("/billing/")
    assert response.status_code == status
    if status == 200:
        # The customer's billing, not the partner's own.
        assert "$60.00" in section(response.text, "totals-heading")
        assert "Alphacust" not in response.text
        rows = csv_rows(client.get("/billing/export.csv"))
        assert [row[0] for row in rows[1:]] == ["Betacust Foods"]


def test_another_tenant_sees_none_of_it(book, client_for):
    client = client_for(member(book.other.provider))
    text = client.get(f"/billing/?customer={book.alpha.pk}&q=alphacust").text
    assert "Alphacust" not in text and "Bookresell" not in text
    rows = csv_rows(client.get(f"/billing/export.csv?customer={book.alpha.pk}"))
    assert rows[1:] == []
    rows = csv_rows(client.get("/billing/export.csv"))
    assert [row[0] for row in rows[1:]] == ["Othercust Travel"]


# Totals ---------------------------------------------------------------------------------------


def test_totals_by_currency_count_live_subscriptions_only(book, client_for):
    text = client_for(member(book.provider, billing_admin=True)).get("/billing/").text
    totals = section(text, "totals-heading")
    rows = re.findall(
        r"<tr><th scope=\"row\">(\w+)</th><td[^>]*>(\d+)</td><td[^>]*>([^<]+)</td>", totals
    )
    assert rows == [("EUR", "2", "€2,500.00"), ("USD", "1", "$60.00")]


def test_totals_follow_the_running_totals(book, client_for):
    """The page reads BillingTotal rows; they match the sum of the live subscriptions."""
    totals = {
        t.currency: (t.subscriptions, t.monthly_cost)
        for t in BillingTotal.objects.filter(organization=book.provider, customer=None)
    }
    assert totals == {"EUR": (2, Decimal("2500.00")), "USD": (1, Decimal("60.00"))}


def test_per_customer_totals(book, client_for):
    text = client_for(member(book.reseller)).get("/billing/").text
    table = section(text, "customer-totals-heading")
    assert re.search(r"Alphacust Retail</a></th>\s*<td>EUR</td>\s*<td[^>]*>2</td>", table)
    assert "€2,500.00" in table
    assert re.search(r"Betacust Foods</a></th>\s*<td>USD</td>\s*<td[^>]*>1</td>", table)
    assert f'href="/billing/?customer={book.alpha.pk}"' in table
    assert "Othercust" not in table


def test_per_customer_totals_are_keyset_paginated_by_customer(client_for, monkeypatch):
    from commerce import views_lists

    monkeypatch.setattr(views_lists, "CUSTOMER_PAGE_SIZE", 3)
    first = CustomerRelationshipFactory()
    customers = [first.customer]
    subscription(first)
    for _ in range(4):
        relationship = CustomerRelationshipFactory(relationship=_pair(first))
        customers.append(relationship.customer)
        subscription(relationship, currency="EUR")
        subscription(relationship, currency="USD", unit_price="3")
    client = client_for(member(first.provider))
    seen: list[tuple[int, str]] = []
    path = "/billing/"
    for _ in range(5):
        table = section(client.get(path).text, "customer-totals-heading")
        seen += [
            (int(pk), currency)
            for pk, currency in re.findall(
                r"\?customer=(\d+)\">[^<]*</a></th>\s*<td>(\w+)</td>", table
            )
        ]
        nxt = re.search(r'href="\?(customers_after=[^"]+)"', table)
        if not nxt:
            break
        path = f"/billing/?{nxt.group(1)}"
    expected = sorted(
        [(first.customer_id, "EUR")]
        + [(c.pk, cur) for c in customers[1:] for cur in ("EUR", "USD")]
    )
    assert seen == expected


def _pair(relationship):
    from relationships.models import ProviderRelationship

    return ProviderRelationship.objects.get(
        provider=relationship.provider, reseller=relationship.reseller
    )


# Filters --------------------------------------------------------------------------------------


def test_currency_filter_narrows_both_tables(book, client_for):
    text = client_for(member(book.provider)).get("/billing/?currency=USD").text
    assert "Betacust" in section(text, "customer-totals-heading")
    assert "Alphacust" not in section(text, "customer-totals-heading")
    subscriptions = section(text, "subscriptions-heading")
    assert "Betacust" in subscriptions and "Alphacust" not in subscriptions
    # The currency choices are the organization's currencies: a bounded <select>.
    assert re.findall(r'<option value="(\w*)"', section(text, "filter-heading"))[:3] == [
        "",
        "EUR",
        "USD",
    ]


def test_status_and_customer_filters(book, client_for):
    client = client_for(member(book.provider))
    subscriptions = section(client.get("/billing/?status=cancelled").text, "subscriptions-heading")
    assert subscriptions.count("<tr>") == 2  # the header and the cancelled one
    text = client.get(f"/billing/?customer={book.beta.pk}").text
    assert "Showing the subscriptions of Betacust Foods." in text
    assert "Alphacust" not in section(text, "customer-totals-heading")
    text = client.get("/billing/?q=betacu").text
    assert "Alphacust" not in section(text, "subscriptions-heading")
    assert "Betacust" in section(text, "subscriptions-heading")


# CSV ------------------------------------------------------------------------------------------


def test_csv_export_streams_every_column(book, client_for):
    response = client_for(member(book.provider)).get("/billing/export.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="billing.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == [
        "Customer",
        "Reseller",
        "Provider",
        "Offer",
        "Quantity",
        "Term",
        "Billing frequency",
        "Status",
        "Currency",
        "Unit price per month",
        "Monthly cost",
        "Term end",
        "Price charged per unit per month",
        "Monthly price charged",
    ]
    assert len(rows) == 5  # four subscriptions, the cancelled one included
    storage = next(row for row in rows if row[3] == "Storage Plan")
    assert storage == [
        "Alphacust Retail",
        "Bookresell IT",
        "Bookprov Distribution",
        "Storage Plan",
        "2",
        "Annual",
        "Monthly",
        "Active",
        "EUR",
        "1234.25",
        "2468.50",
        book.alpha_storage.term_end.date().isoformat(),
        "1234.25",  # the reseller price: the catalogue price here (no price list)
        "2468.50",
    ]


def test_csv_export_applies_the_filters(book, client_for):
    client = client_for(member(book.reseller))
    assert [r[3] for r in csv_rows(client.get("/billing/export.csv?currency=USD"))[1:]] == [
        "Seats Suite"
    ]
    assert [r[7] for r in csv_rows(client.get("/billing/export.csv?status=cancelled"))[1:]] == [
        "Cancelled"
    ]
    rows = csv_rows(client.get(f"/billing/export.csv?customer={book.alpha.pk}"))[1:]
    assert {r[0] for r in rows} == {"Alphacust Retail"} and len(rows) == 3
    rows = csv_rows(client.get("/billing/export.csv?q=betac"))[1:]
    assert {r[0] for r in rows} == {"Betacust Foods"}


def test_csv_cells_cannot_run_as_formulas(client_for):
    relationship = CustomerRelationshipFactory(customer=customer_org(legal_name="=HYPERLINK(1)"))
    subscription(relationship)
    rows = csv_rows(client_for(member(relationship.provider)).get("/billing/export.csv"))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_csv_export_reads_rows_in_chunks_through_one_query(client_for, monkeypatch):
    from portal import exports

    monkeypatch.setattr(exports, "ROWS_PER_PIECE", 7)
    relationship = CustomerRelationshipFactory()
    for _ in range(20):
        subscription(relationship)
    response = client_for(member(relationship.provider)).get("/billing/export.csv")
    with CaptureQueriesContext(connection) as ctx:
        pieces = list(response.streaming_content)
    # Pieces of at most 7 rows (the first with the header): written as they are read, never
    # all at once.
    assert len(pieces) == 3
    assert len(ctx) <= 2  # one read of the rows (a server-side cursor on PostgreSQL)


def test_csv_export_in_italian_keeps_machine_readable_amounts(book, client_for):
    membership = MembershipFactory(organization=book.provider, user=UserFactory(language="it"))
    rows = csv_rows(client_for(membership).get("/billing/export.csv"))
    storage = next(row for row in rows if row[3] == "Storage Plan")
    assert storage[9:11] == ["1234.25", "2468.50"]


# Italian --------------------------------------------------------------------------------------


def test_money_is_formatted_per_locale_with_the_currency(book, client_for):
    membership = MembershipFactory(organization=book.provider, user=UserFactory(language="it"))
    text = client_for(membership).get("/billing/").text
    assert 'lang="it"' in text
    totals = section(text, "totals-heading")
    assert "2.500,00\N{NO-BREAK SPACE}€" in totals
    assert "60,00\N{NO-BREAK SPACE}$" in totals
    subscriptions = section(text, "subscriptions-heading")
    assert "2.468,50\N{NO-BREAK SPACE}€" in subscriptions


# Fixed number of queries ----------------------------------------------------------------------

PATHS = [
    "/billing/",
    "/billing/?currency=EUR&status=active",
    "/billing/?q=customer",
    "/billing/?customer={customer}",
    "/billing/?customers_after=1.EUR&after=1700000000000000.1",
    "/billing/export.csv",
]


@pytest.mark.parametrize("side", ["provider", "reseller", "customer"])
@pytest.mark.parametrize("path", PATHS)
def test_queries_do_not_grow_with_rows(client_for, side, path):
    counts = []
    for n in (1, 3):
        relationship = CustomerRelationshipFactory(
            customer=customer_org(legal_name=f"Customer {n} Srl")
        )
        for index in range(n):
            target = (
                relationship
                if side == "customer"
                else CustomerRelationshipFactory(relationship=_pair(relationship))
            )
            subscription(target, currency="EUR" if index % 2 else "USD")
        client = client_for(member(getattr(relationship, side)))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path.format(customer=relationship.customer_id))
            assert response.status_code == 200
            if response.streaming:
                body(response)
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 10, counts
