"""Pages served again from the cache while nothing they read has changed (portal/pagememo.py).

Every test of the suite runs with the memo on (portal/settings/test.py); these look at it
directly: a page asked for again costs no query, and the next request after any change to a
row it shows (through the ORM, raw SQL, another connection's commit, a role change) renders
it again. Another person never gets someone else's page."""

from __future__ import annotations

import gc
import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from psycopg import sql as psycopg_sql

from portal.form_tokens import form_token_key
from portal.models import Organization
from portal.pagememo import EVERYTHING, HEADER, statement_tables
from tests.factories import member
from tests.queries import warm
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)
from tests.threads import in_threads

PATH = "/customers/"


def _provider_with_customer(name: str = "Alpha"):
    provider = provider_org(legal_name=f"{name} Distribution")
    pair = ProviderRelationshipFactory(provider=provider, reseller=reseller_org())
    customer = customer_org(legal_name=f"{name} Customer")
    CustomerRelationshipFactory(relationship=pair, customer=customer)
    return provider, customer


def _served_again(client, path: str = PATH):
    """Ask until the page comes from the memo: a process's first renders of a view learn the
    tables it reads (a first render may read fewer than the next), then one is kept and the
    next served."""
    warm(client)
    for _ask in range(5):
        response = client.get(path)
        assert response.status_code == 200
        if response.headers.get(HEADER) == "hit":
            return response
    raise AssertionError(f"{path} was never served from the memo")


@pytest.mark.django_db
def test_a_page_asked_for_again_costs_no_query_and_is_the_same_page(client_for):
    provider, _customer = _provider_with_customer()
    client = client_for(member(provider))
    first = _served_again(client)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(PATH)
    assert again.headers[HEADER] == "hit"
    assert len(queries) == 0
    assert again.content == first.content and "Alpha Customer" in again.text
    assert again["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_row_changed_through_the_orm_shows_on_the_next_request(client_for):
    provider, customer = _provider_with_customer()
    client = client_for(member(provider))
    _served_again(client)
    customer.legal_name = "Alpha Renamed"
    customer.save(update_fields=["legal_name"])
    page = client.get(PATH)
    assert page.headers.get(HEADER) != "hit"
    assert "Alpha Renamed" in page.text and "Alpha Customer" not in page.text


@pytest.mark.django_db
def test_a_row_changed_by_raw_sql_shows_on_the_next_request(client_for):
    provider, customer = _provider_with_customer()
    client = client_for(member(provider))
    _served_again(client)
    with connection.cursor() as cursor:  # the table name unquoted, as a hand-written query has it
        cursor.execute(
            "UPDATE portal_organization SET legal_name = %s WHERE id = %s",
            ["Alpha By Hand", customer.pk],
        )
    assert "Alpha By Hand" in client.get(PATH).text


@pytest.mark.django_db
def test_another_person_of_the_same_organization_gets_their_own_page(client_for):
    provider, _customer = _provider_with_customer()
    alice = member(provider, global_admin=True, user__first_name="Alice", user__last_name="Kept")
    bob = member(provider, global_admin=True, user__first_name="Bob", user__last_name="Other")
    _served_again(client_for(alice))
    page = client_for(bob).get(PATH)
    assert page.headers.get(HEADER) != "hit"
    assert "Bob Other" in page.text and "Alice Kept" not in page.text


@pytest.mark.django_db
def test_a_role_taken_away_renders_the_page_again(client_for):
    provider, _customer = _provider_with_customer()
    membership = member(provider, global_admin=True)
    client = client_for(membership)
    assert 'href="/audit-log/"' in _served_again(client).text
    membership.global_admin = False
    membership.save()
    page = client.get(PATH)
    assert page.headers.get(HEADER) != "hit"
    assert 'href="/audit-log/"' not in page.text


@pytest.mark.django_db
def test_a_waiting_message_is_shown_once_never_served_from_a_kept_page(client_for):
    provider, _customer = _provider_with_customer()
    client = client_for(member(provider))
    _served_again(client)
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Saved at last.")])
    shown = client.get(PATH)
    assert shown.headers.get(HEADER) is None
    assert "Saved at last." in shown.text
    assert "Saved at last." not in client.get(PATH).text


@pytest.mark.django_db
def test_each_page_served_carries_its_own_new_one_time_form_token(client_for):
    """Indirect resellers holds the invite form: a page served again gets new tokens, each one
    good, as a render would give (two tabs never send the same token)."""
    provider = provider_org()
    ProviderRelationshipFactory(provider=provider, reseller=reseller_org())
    client = client_for(member(provider))
    served = [_served_again(client, "/indirect-resellers/"), client.get("/indirect-resellers/")]
    tokens = [re.findall(r'name="form_token" value="([^"]+)"', page.text) for page in served]
    assert served[1].headers[HEADER] == "hit"
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert all(form_token_key(token) for token in tokens[0] + tokens[1])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions")
def test_a_page_rendered_before_a_commit_is_not_served_after_it(client_for):
    """Another connection renders (and keeps) the page while a transaction that changed a row
    it shows is still open: the commit forgets that page."""
    provider, customer = _provider_with_customer()
    client = client_for(member(provider))
    _served_again(client)
    with transaction.atomic():
        Organization.objects.filter(pk=customer.pk).update(legal_name="Alpha Committed")
        pages = in_threads(lambda: [client.get(PATH) for _ in range(3)])[0]
        assert not isinstance(pages, Exception), pages
        assert "Alpha Customer" in pages[-1].text  # not committed yet: the old name
        assert pages[-1].headers.get(HEADER) == "hit"  # kept meanwhile
    page = client.get(PATH)
    assert page.headers.get(HEADER) != "hit"
    assert "Alpha Committed" in page.text


@pytest.mark.parametrize(
    ("sql", "writes", "tables"),
    [
        (
            'SELECT "portal_organization"."id" FROM "portal_organization"',
            False,
            {"portal_organization"},
        ),
        (
            'SELECT 1 FROM "portal_user" INNER JOIN "portal_membership" T3 ON (1 = 1)',
            False,
            {"portal_user", "portal_membership"},
        ),
        ('INSERT INTO "portal_membership" ("user_id") VALUES (%s)', True, {"portal_membership"}),
        ("update portal_user set language = 'it'", True, {"portal_user"}),
        ('DELETE FROM "portal_user_groups" WHERE 1 = 1', True, {"portal_user_groups"}),
        ('TRUNCATE "portal_organization" CASCADE', True, {"portal_organization"}),
        ("WITH x AS (SELECT id FROM portal_user) SELECT * FROM x", False, {"portal_user"}),
        (
            "WITH x AS (DELETE FROM portal_user RETURNING id) SELECT * FROM x",
            True,
            {"portal_user"},
        ),
        ('SAVEPOINT "s1_x1"', False, set()),
        (
            'INSERT INTO "portal_membership" ("user_id") VALUES ' + ", ".join(["(%s)"] * 2000),
            True,
            {"portal_membership"},
        ),
        ("SET CONSTRAINTS ALL IMMEDIATE", False, set()),
        (
            'COPY (SELECT "commerce_offer"."name" FROM "commerce_offer") TO STDOUT (FORMAT csv)',
            False,
            {"commerce_offer"},
        ),
        (
            "COPY (DELETE FROM portal_user RETURNING id) TO STDOUT",
            True,
            {"portal_user"},
        ),
    ],
)
def test_a_statement_reads_or_changes_the_tables_it_names(sql, writes, tables):
    assert statement_tables(sql) == (writes, frozenset(tables))


def test_a_composed_statement_changes_every_page():
    assert statement_tables(psycopg_sql.SQL("SELECT 1")) == (True, frozenset({EVERYTHING}))


EXPORT = "/customers/export.csv"


def _download(client, path: str = EXPORT):
    response = client.get(path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def _download_until_kept(client, tries: int, path: str = EXPORT):
    """The export downloaded (each time to its end) until the memo serves it: the answer served
    and its body; fails when it never is within `tries`."""
    for _ask in range(tries):
        response, body = _download(client, path)
        if response.headers.get(HEADER) == "hit":
            return response, body
    raise AssertionError(f"{path} was never served from the memo in {tries} downloads")


@pytest.mark.django_db
def test_a_small_export_downloaded_again_costs_no_query_and_is_the_same_file(client_for):
    provider, customer = _provider_with_customer()
    client = client_for(member(provider))
    client.get(PATH)  # a page with a form: the CSRF cookie every kept answer is keyed on
    first, body = _download(client)
    assert first.streaming  # streamed, then kept once its last piece went out
    _download_until_kept(client, 5)
    with CaptureQueriesContext(connection) as queries:
        again, again_body = _download(client)
    assert again.headers[HEADER] == "hit" and len(queries) == 0
    assert again_body == body and b"Alpha Customer" in body
    assert again["Content-Type"].startswith("text/csv")
    assert again["Content-Disposition"] == first["Content-Disposition"]

    customer.legal_name = "Alpha Renamed"
    customer.save(update_fields=["legal_name"])
    changed, changed_body = _download(client)
    assert changed.headers.get(HEADER) != "hit"
    assert b"Alpha Renamed" in changed_body and b"Alpha Customer" not in changed_body


@pytest.mark.django_db
def test_a_kept_billing_export_shows_a_renamed_offer_on_the_next_download(client_for):
    """On PostgreSQL the billing file is written by `COPY`, the only statement that reads the
    offers' names: the memo learns it like any other."""
    from tests.commerce.billing_factories import subscription

    relationship = CustomerRelationshipFactory()
    sold = subscription(relationship)
    client = client_for(member(relationship.provider))
    client.get(PATH)
    _response, body = _download_until_kept(client, 5, "/billing/export.csv")
    assert sold.offer.name.encode() in body

    sold.offer.name = "Renamed Plan"
    sold.offer.save(update_fields=["name"])
    changed, changed_body = _download(client, "/billing/export.csv")
    assert changed.headers.get(HEADER) != "hit"
    assert b"Renamed Plan" in changed_body


@pytest.mark.django_db
def test_an_export_bigger_than_the_limit_or_not_read_to_its_end_is_never_kept(
    client_for, monkeypatch
):
    provider, _customer = _provider_with_customer()
    client = client_for(member(provider))
    client.get(PATH)
    for _ask in range(3):  # read only in part: the reader went away
        response = client.get(EXPORT)
        next(iter(response.streaming_content))
        # Dropped unfinished: the test client's wrapper closes it as a server closes the
        # answer to a reader who went away (collected: the answer and its closers hold each
        # other).
        del response
        gc.collect()
    assert client.get(EXPORT).headers.get(HEADER) != "hit"

    monkeypatch.setattr("portal.pagememo.MAX_BYTES", 10)
    for _ask in range(4):
        response, body = _download(client)
        assert response.headers.get(HEADER) != "hit" and b"Alpha Customer" in body

    # The same file read to its end, within the limit, is kept: neither refusal above came
    # from anything else.
    monkeypatch.undo()
    _download_until_kept(client, 4)
