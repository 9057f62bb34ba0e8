"""Exports of any size (portal/exports.py, portal/export_services.py, portal/views_exports.py):
a small export streams at once; a larger one answers a page that offers to prepare it in the
background; the prepared file has every row, in the requester's language; only the
organization's members who may see the list download it; a failure leaves no file; the sweep
deletes expired files."""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.http import QueryDict
from django.utils import timezone, translation

from portal import export_services
from portal.audit import event_type_choices
from portal.export_services import export_run, exports_sweep
from portal.exports import _KINDS, ExportKind, ExportSource, register_export
from portal.models import AuditEvent, Export, Organization
from portal.policy import Action
from relationships.models import CustomerRelationship
from tests.commerce.billing_factories import subscription
from tests.factories import MembershipFactory, UserFactory, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path) -> Path:
    """Each test's files in its own directory (and a small streaming threshold)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    settings.PORTAL_EXPORT_STREAM_MAX_ROWS = 3
    return tmp_path


def provider_with_customers(count: int) -> Organization:
    provider = provider_org(legal_name="Contoso Distribution")
    relationship = ProviderRelationshipFactory(
        provider=provider, reseller=reseller_org(legal_name="Rivenditore Srl")
    )
    for i in range(count):
        CustomerRelationshipFactory(
            relationship=relationship, customer=customer_org(legal_name=f"Cliente {i:03d} SpA")
        )
    return provider


def csv_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def prepare(client, django_capture_on_commit_callbacks, kind: str, query: str = ""):
    """What the offer page's button does: POST, then the worker runs (eagerly, on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/", {"kind": kind, "query": query})
    assert response.status_code == 302
    return Export.objects.get(pk=int(re.search(r"/exports/(\d+)/", response.url)[1]))


def downloaded(response) -> list[list[str]]:
    assert response.status_code == 200
    return csv_of(b"".join(response.streaming_content))


# Small exports stream, large ones are offered ---------------------------------------------------


def test_an_export_within_the_threshold_streams_at_once(client_for):
    provider = provider_with_customers(3)
    response = client_for(member(provider)).get("/customers/export.csv")
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_of(b"".join(response.streaming_content))
    assert len(rows) == 1 + 3
    assert not Export.objects.exists()


def test_a_larger_export_answers_a_page_offering_a_background_export_and_changes_nothing(
    client_for,
):
    provider = provider_with_customers(4)
    response = client_for(member(provider)).get("/customers/export.csv?q=Cliente&sort=name")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    text = response.text
    assert "<h1" in text and "Export: Customers" in text
    assert "This export has more than 3 rows" in text
    assert 'action="/exports/"' in text and "Prepare the export" in text
    # The list's filters go with the request (the page number and format do not).
    assert 'name="query" value="q=Cliente&amp;sort=name"' in text
    assert not Export.objects.exists()  # a GET prepares nothing


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/billing/export.csv", "billing"),
        ("/subscriptions/export.csv", "subscriptions"),
        ("/audit-log/?format=csv", "audit_log"),
        ("/indirect-resellers/export.csv", "indirect_resellers"),
    ],
)
def test_every_list_offers_and_prepares_its_large_export(
    client_for, django_capture_on_commit_callbacks, path, kind
):
    provider = provider_with_customers(0)
    for i in range(4):
        relationship = CustomerRelationshipFactory(
            relationship=ProviderRelationshipFactory(provider=provider),
            customer=customer_org(legal_name=f"Cliente {i:03d} SpA"),
        )
        subscription(relationship)
    admin = member(provider)
    client = client_for(admin)
    for _ in range(4):
        AuditEvent.objects.create(
            organization=provider, actor=admin.user, type=event_type_choices()[0][0], details={}
        )
    streamed_small = client.get(path, {"sort": "name"} if "resellers" in path else {})
    assert "Prepare the export" in streamed_small.text
    export = prepare(client, django_capture_on_commit_callbacks, kind)
    assert export.status == Export.Status.DONE
    rows = downloaded(client.get(f"/exports/{export.pk}/download/"))
    assert len(rows) - 1 == export.rows_done >= 4


# Preparing one --------------------------------------------------------------------------------


def test_a_prepared_export_has_every_row_in_the_requesters_language(client_for):
    provider = provider_with_customers(5)
    italian = MembershipFactory(organization=provider, user=UserFactory(language="it"))
    client = client_for(italian)
    client.post("/exports/", {"kind": "customers", "query": "sort=name"})
    with translation.override("en"):  # the worker, outside the request, in another language
        export = export_run(export_id=Export.objects.get().pk)
    assert export.status == Export.Status.DONE and export.rows_done == 5
    assert export.language == "it" and export.requested_by == italian.user

    page = client.get(f"/exports/{export.pk}/").text
    assert "Pronto da scaricare" in page  # the status, in Italian
    assert "Il file è pronto: 5 righe." in page
    assert f'href="/exports/{export.pk}/download/"' in page

    response = client.get(f"/exports/{export.pk}/download/")
    assert response["Content-Length"] == str(export.file_size)
    assert 'filename="customers.csv"' in response["Content-Disposition"]
    rows = downloaded(response)
    assert rows[0] == ["Cliente", "Paese", "Rivenditore", "Dal"]
    assert [row[0] for row in rows[1:]] == [f"Cliente {i:03d} SpA" for i in range(5)]
    assert {row[1] for row in rows[1:]} == {"Italia"}


def test_a_one_row_file_says_one_row(client_for):
    provider = provider_with_customers(1)
    client = client_for(member(provider))
    client.post("/exports/", {"kind": "customers", "query": ""})
    export = export_run(export_id=Export.objects.get().pk)
    assert "The file is ready: 1 row. You can" in client.get(f"/exports/{export.pk}/").text


def test_asking_twice_while_it_is_waiting_prepares_one_file(client_for):
    provider = provider_with_customers(4)
    client = client_for(member(provider))
    first = client.post("/exports/", {"kind": "customers", "query": ""})  # not committed: waits
    second = client.post("/exports/", {"kind": "customers", "query": ""})
    assert first.url == second.url
    assert Export.objects.count() == 1
    assert "already being prepared" in client.get(second.url).text


def test_running_the_task_twice_writes_one_file(client_for, private_storage):
    provider = provider_with_customers(4)
    export = Export.objects.create(organization=provider, kind="customers", language="en")
    assert export_run(export_id=export.pk).status == Export.Status.DONE
    assert export_run(export_id=export.pk) is None
    assert len(list(private_storage.rglob("*.csv"))) == 1


def test_the_page_shows_progress_in_a_live_region_while_it_runs(client_for):
    provider = provider_with_customers(4)
    client = client_for(member(provider))
    client.post("/exports/", {"kind": "customers", "query": ""})  # queued, never run
    export = Export.objects.get()
    page = client.get(f"/exports/{export.pk}/").text
    assert '<h1 class="h3 mb-3">Export: Customers</h1>' in page
    assert re.search(r'<div aria-live="polite">\s*<div id="export-progress" data-hx-get=', page)
    assert 'aria-labelledby="export-progress-label"' in page
    assert "Waiting to start" in page
    fragment = client.get(f"/exports/{export.pk}/?fragment=progress").text
    assert "<h1" not in fragment and "Waiting to start" in fragment
    export_run(export_id=export.pk)
    done = client.get(f"/exports/{export.pk}/?fragment=progress").text
    assert "Ready to download" in done and "data-hx-get" not in done  # the polling stops


# Who may download it ------------------------------------------------------------------------


def test_a_colleague_who_may_see_the_list_downloads_it(
    client_for, django_capture_on_commit_callbacks
):
    provider = provider_with_customers(4)
    export = prepare(client_for(member(provider)), django_capture_on_commit_callbacks, "customers")
    colleague = client_for(member(provider, sales_agent=True))
    assert colleague.get(f"/exports/{export.pk}/").status_code == 200
    assert len(downloaded(colleague.get(f"/exports/{export.pk}/download/"))) == 5


@pytest.mark.parametrize("who", ["other_tenant", "no_role"])
def test_anyone_else_gets_a_missing_page(client_for, django_capture_on_commit_callbacks, who):
    provider = provider_with_customers(4)
    export = prepare(client_for(member(provider)), django_capture_on_commit_callbacks, "customers")
    if who == "other_tenant":
        outsider = member(provider_with_customers(4))
    else:  # a Billing admin of the same provider does not see its customers list
        outsider = member(provider, billing_admin=True)
    client = client_for(outsider)
    assert client.get(f"/exports/{export.pk}/").status_code == 404
    assert client.get(f"/exports/{export.pk}/?fragment=progress").status_code == 404
    assert client.get(f"/exports/{export.pk}/download/").status_code == 404


def test_a_member_without_the_role_cannot_ask_for_one(client_for):
    provider = provider_with_customers(4)
    client = client_for(member(provider, billing_admin=True))
    assert client.post("/exports/", {"kind": "customers"}).status_code == 404
    assert client.post("/exports/", {"kind": "no-such-list"}).status_code == 404
    assert not Export.objects.exists()


# Failures and expiry ------------------------------------------------------------------------


@pytest.fixture
def failing_kind() -> Iterator[str]:
    """A list whose rows fail after a few (a database gone mid-way, a bug in a formatter)."""

    def source(organization: Organization, params: QueryDict) -> ExportSource:
        queryset = CustomerRelationship.objects.filter(provider=organization)

        def rows():
            for i, name in enumerate(queryset.values_list("customer__legal_name", flat=True)):
                if i == 3:
                    raise RuntimeError("the database went away")
                yield [name]

        return ExportSource(queryset=queryset, header=["Customer"], rows=rows)

    register_export(
        ExportKind(
            name="failing",
            title="Failing",
            filename="failing.csv",
            list_url="relationships:customers",
            action=Action.VIEW_CUSTOMERS,
            source=source,
        )
    )
    yield "failing"
    del _KINDS["failing"]


def test_a_failure_midway_marks_it_failed_and_keeps_no_file(
    client_for, django_capture_on_commit_callbacks, failing_kind, private_storage, monkeypatch
):
    monkeypatch.setattr(export_services, "PROGRESS_EVERY", 2)  # progress written before failing
    provider = provider_with_customers(6)
    client = client_for(member(provider))
    export = prepare(client, django_capture_on_commit_callbacks, failing_kind)
    assert export.status == Export.Status.FAILED
    assert export.rows_done == 2 and export.file_name == ""
    assert "database went away" in export.failure
    assert list(private_storage.rglob("*")) == [private_storage / "exports"] or not any(
        path.is_file() for path in private_storage.rglob("*")
    )
    assert client.get(f"/exports/{export.pk}/download/").status_code == 404
    page = client.get(f"/exports/{export.pk}/").text
    assert "could not be prepared" in page and "/download/" not in page


def test_the_sweep_deletes_expired_files(client_for, django_capture_on_commit_callbacks):
    provider = provider_with_customers(4)
    client = client_for(member(provider))
    export = prepare(client, django_capture_on_commit_callbacks, "customers")
    path = Path(export_services.default_storage.path(export.file_name))
    assert path.exists()
    exports_sweep()
    assert path.exists()  # not yet expired
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        assert exports_sweep() == 1
    export.refresh_from_db()
    assert not path.exists()
    assert export.status == Export.Status.EXPIRED and export.file_name == ""
    assert client.get(f"/exports/{export.pk}/download/").status_code == 404
    assert "was deleted" in client.get(f"/exports/{export.pk}/").text


def test_the_sweep_fails_an_abandoned_run_and_requeues_a_lost_one(client_for):
    provider = provider_with_customers(4)
    now = timezone.now()
    abandoned = Export.objects.create(
        organization=provider,
        kind="customers",
        status=Export.Status.RUNNING,
        updated_at=now - timedelta(hours=1),
    )
    lost = Export.objects.create(
        organization=provider, kind="customers", created_at=now - timedelta(minutes=10)
    )
    exports_sweep()  # tasks run eagerly in the tests: the lost one is prepared now
    abandoned.refresh_from_db()
    lost.refresh_from_db()
    assert abandoned.status == Export.Status.FAILED
    assert lost.status == Export.Status.DONE and lost.rows_done == 4


def test_a_prepared_export_keeps_the_lists_filters(client_for, django_capture_on_commit_callbacks):
    provider = provider_with_customers(6)
    client = client_for(member(provider))
    export = prepare(
        client, django_capture_on_commit_callbacks, "customers", "q=Cliente+00&sort=-name"
    )
    rows = downloaded(client.get(f"/exports/{export.pk}/download/"))
    # Six customers match "Cliente 00" (000-005), newest name first, as the list shows them.
    assert [row[0] for row in rows[1:]] == [f"Cliente {i:03d} SpA" for i in range(5, -1, -1)]
    export = prepare(client, django_capture_on_commit_callbacks, "customers", "q=Cliente+003")
    assert export.rows_done == 1


def test_the_subscriptions_list_exports_its_filtered_rows(client_for):
    provider = provider_with_customers(0)
    relationship = CustomerRelationshipFactory(
        relationship=ProviderRelationshipFactory(provider=provider)
    )
    subscription(relationship)
    cancelled = subscription(relationship)
    cancelled.status = "cancelled"
    cancelled.save(update_fields=["status"])
    client = client_for(member(provider, sales_agent=True))  # sees subscriptions, not billing
    assert 'href="/subscriptions/export.csv"' in client.get("/subscriptions/").text
    response = client.get("/subscriptions/export.csv?status=cancelled")
    rows = csv_of(b"".join(response.streaming_content))
    assert rows[0][:2] == ["Customer", "Reseller"] and len(rows) == 2
    assert rows[1][7] == "Cancelled"
    assert 'filename="subscriptions.csv"' in response["Content-Disposition"]


# The streamed file and the prepared file ------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("side", ["provider", "reseller", "customer"])
def test_the_streamed_billing_file_is_the_prepared_one_byte_for_byte(
    client_for, settings, side, language
):
    """On PostgreSQL the request's file is written by the server (`COPY`) and the worker's by
    `csv.writer`: the same bytes, with names a spreadsheet would misread (a comma, quotes, a
    line break, a formula, accents) and a cancelled subscription's empty cost."""
    from commerce.models import Subscription
    from tests.commerce.billing_factories import offer

    settings.PORTAL_EXPORT_STREAM_MAX_ROWS = 100
    partners = ProviderRelationshipFactory(
        provider=provider_org(legal_name="Distribuzione, Nord"),
        reseller=reseller_org(legal_name="@Rivendita Società"),
    )
    relationship = CustomerRelationshipFactory(
        customer=customer_org(legal_name='Rossi, "Bianchi" & Figli'), relationship=partners
    )
    subscription(relationship, quantity=3, unit_price="12.50", customer_price=Decimal("15.25"))
    subscription(
        relationship,
        offer_=offer('Suite "Pro", annual'),
        status=Subscription.Status.CANCELLED,
        reseller_price=Decimal("11.00"),
    )
    other = CustomerRelationshipFactory(
        relationship=partners, customer=customer_org(legal_name="=SUM(A1)")
    )
    subscription(other, quantity=2, currency="USD", unit_price="7.10")
    multiline = CustomerRelationshipFactory(
        relationship=partners, customer=customer_org(legal_name="Riga\nDue Srl")
    )
    subscription(multiline, billing_frequency="annual", term="monthly")
    organization = {
        "provider": relationship.provider,
        "reseller": relationship.reseller,
        "customer": relationship.customer,
    }[side]
    client = client_for(
        MembershipFactory(organization=organization, user=UserFactory(language=language))
    )

    response = client.get("/billing/export.csv")
    assert response.streaming
    streamed = b"".join(response.streaming_content)
    export = Export.objects.create(
        organization=organization, kind="billing", params={}, language=language
    )
    assert export_run(export_id=export.pk).status == Export.Status.DONE
    prepared = b"".join(client.get(f"/exports/{export.pk}/download/").streaming_content)

    assert streamed == prepared
    rows = csv_of(streamed)
    expected_rows = 3 if side == "customer" else 5
    assert len(rows) == expected_rows and streamed.endswith(b"\r\n")
    assert streamed.count(b"\r\n") == expected_rows  # a line end per row, none in a cell
    names = {row[0] for row in rows[1:]}
    assert 'Rossi, "Bianchi" & Figli' in names
    if side != "customer":
        assert names >= {"'=SUM(A1)", "Riga\nDue Srl"}
        assert {row[1] for row in rows[1:]} == {"'@Rivendita Società"}
        assert {row[2] for row in rows[1:]} == {"Distribuzione, Nord"}
        cancelled = next(row for row in rows if row[3] == 'Suite "Pro", annual')
        assert cancelled[10] == "" and cancelled[13] == ""
        assert cancelled[7] == ("Annullato" if language == "it" else "Cancelled")
    live = next(row for row in rows[1:] if row[0].startswith("Rossi") and row[4] == "3")
    price = {"provider": "12.50", "reseller": "12.50", "customer": "15.25"}[side]
    monthly = {"provider": "37.50", "reseller": "37.50", "customer": "45.75"}[side]
    assert live[9:12] == [price, monthly, live[11]] and re.fullmatch(r"\d{4}-\d\d-\d\d", live[11])
    if side == "reseller":
        assert live[12:] == ["15.25", "45.75"]


def _many_subscriptions(count: int) -> Organization:
    """`count` subscriptions of one reseller, written at once (a file of several hundred
    kilobytes: more than the database sends in one read)."""
    from commerce.models import Subscription
    from tests.commerce.billing_factories import offer

    first = subscription(offer_=offer("Microsoft 365 E5 " + "with a long plan name " * 4))
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(
            offer=first.offer,
            customer=first.customer,
            reseller=first.reseller,
            provider=first.provider,
            status=Subscription.Status.ACTIVE,
            quantity=number % 50 + 1,
            term="annual",
            billing_frequency="monthly",
            currency="EUR",
            unit_price=Decimal("10.00"),
            reseller_price=Decimal("9.00"),
            customer_price=Decimal("11.50"),
            monthly_cost=Decimal("10.00") * (number % 50 + 1),
            purchased_at=now - timedelta(minutes=number),
            term_start=now,
            term_end=now + timedelta(days=365),
            change_window_ends_at=now,
        )
        for number in range(count - 1)
    )
    return first.reseller


@pytest.fixture
def thousands(client_for, settings):
    """A reseller with 3,000 subscriptions (a file that streams), and a client of its member."""
    settings.PORTAL_EXPORT_STREAM_MAX_ROWS = 5000
    reseller = _many_subscriptions(3000)
    return reseller, client_for(member(reseller))


def test_a_file_of_thousands_of_rows_streams_whole_and_equals_the_prepared_one(thousands):
    reseller, client = thousands
    response = client.get("/billing/export.csv")
    assert response.streaming
    pieces = list(response.streaming_content)
    streamed = b"".join(pieces)
    assert len(pieces) == 3 and len(streamed) > 600_000  # 1,000 rows a piece, header first
    export = Export.objects.create(organization=reseller, kind="billing", language="en")
    assert export_run(export_id=export.pk).rows_done == 3000
    prepared = b"".join(client.get(f"/exports/{export.pk}/download/").streaming_content)
    assert streamed == prepared
    rows = csv_of(streamed)
    assert len(rows) == 3001 and {len(row) for row in rows} == {14}
    assert rows[-1][4] == str((3000 - 2) % 50 + 1)  # the oldest purchase last


def test_a_file_the_reader_left_midway_leaves_the_connection_ready_for_the_next(thousands):
    _reseller, client = thousands
    response = client.get("/billing/export.csv")
    next(iter(response.streaming_content))  # the first thousand rows, then the reader goes:
    # dropped unfinished, the test client's wrapper closes it as a server closes the answer to
    # a reader who went away (collected: the answer and its closers hold each other).
    del response
    gc.collect()
    again = client.get("/billing/export.csv")
    assert len(csv_of(b"".join(again.streaming_content))) == 3001
    assert client.get("/billing/").status_code == 200
