"""The provider's usage file upload (issue 25 item 3, the bulk pattern): the file is checked and
stored, a task imports its rows through `usage_import` in batches, the page shows the counts and
every row not imported with its reason; Excel's CSV shapes are read; another provider's
subscription is refused as a missing one; another tenant's file is a 404; the list costs a fixed
number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import usage_uploads
from invoicing.models import Charge, Tier, UsageImport, UsageImportRow, UsageRecord
from invoicing.usage_uploads import usage_file_import
from portal.models import AuditEvent
from tests.factories import member
from tests.invoicing.conftest import at, order
from tests.relationships.factories import ProviderRelationshipFactory, provider_org

pytestmark = pytest.mark.django_db


def _storage(world):
    return order(
        world,
        at(2026, 6, 1),
        code="object-storage",
        quantity=1,
        reseller_price="2.00",
        customer_price="2.50",
    )


def _upload(client, data: bytes, name: str = "usage.csv"):
    with time_machine.travel(at(2026, 6, 20), tick=False):
        return client.post("/billing/usage/", {"file": SimpleUploadedFile(name, data)})


def _run(response) -> UsageImport:
    assert response.status_code == 302, response.content[:2000]
    upload = UsageImport.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    with time_machine.travel(at(2026, 6, 20), tick=False):
        usage_file_import(import_id=upload.pk)
    upload.refresh_from_db()
    return upload


def test_a_valid_file_is_imported_and_rated(world, client_for):
    storage = _storage(world)
    client = client_for(world["contoso"])
    data = (
        "subscription_id,usage_date,quantity\n"
        f"{storage.pk},2026-06-03,4.5\n"
        f"{storage.pk},2026-06-04,2\n"
    ).encode()
    upload = _run(_upload(client, data))
    assert (upload.status, upload.imported, upload.not_imported) == ("done", 2, 0)
    assert UsageRecord.objects.filter(subscription=storage).count() == 2
    lines = {c.tier: c for c in Charge.objects.filter(kind="usage", charge_date=date(2026, 6, 3))}
    assert lines[Tier.PROVIDER].amount == Decimal("9.00")
    assert lines[Tier.RESELLER].amount == Decimal("11.25")
    assert AuditEvent.objects.filter(type="invoicing.usage_file.uploaded").count() == 1
    assert AuditEvent.objects.filter(type="invoicing.usage_file.imported").count() == 1
    page = client.get(f"/billing/usage/{upload.pk}/").text
    assert "Finished" in page and "2 days of usage imported" in page
    # The task run again, or the same file again, imports nothing twice.
    usage_file_import(import_id=upload.pk)
    again = _run(_upload(client, data))
    assert (again.imported, again.unchanged) == (0, 2)
    assert Charge.objects.filter(kind="usage").count() == 4


def test_bad_rows_are_reported_with_their_reasons(world, client_for):
    storage = _storage(world)
    seats = order(world, at(2026, 6, 1), quantity=1)
    client = client_for(world["contoso"])
    data = (
        "subscription_id,usage_date,quantity\n"
        f"{storage.pk},2026-06-03,1\n"  # line 2: good
        f"abc,2026-06-03,1\n"  # 3: not a number
        f"{storage.pk},3 June,1\n"  # 4: not a date
        f"{storage.pk},2026-06-05,-1\n"  # 5: negative
        f"{seats.pk},2026-06-05,1\n"  # 6: not usage-based
        f"{storage.pk},2026-06-25,1\n"  # 7: in the future
        f"{storage.pk},2026-06-03,2\n"  # 8: the same day as row 2
    ).encode()
    upload = _run(_upload(client, data))
    assert (upload.imported, upload.invalid_rows, upload.refused) == (1, 3, 3)
    reasons = dict(
        UsageImportRow.objects.filter(usage_import=upload).values_list("line", "message")
    )
    assert reasons[2] == ""
    assert "whole number" in reasons[3]
    assert "YYYY-MM-DD" in reasons[4]
    assert "zero or more" in reasons[5]
    assert "not usage-based" in reasons[6]
    assert "outside" in reasons[7]
    assert "row 2" in reasons[8]
    page = client.get(f"/billing/usage/{upload.pk}/").text
    for line in (3, 4, 5, 6, 7, 8):
        assert f'<th scope="row">{line}</th>' in page


EXCEL_SHAPES = [
    ("utf-8-sig", "subscription_id;usage_date;quantity\r\n{pk};03/06/2026;4,5\r\n"),
    ("cp1252", "Subscription ID;Usage date;Quantity\r\n{pk};2026-06-03;4,5;€\r\n"),
    ("utf-16", "subscription\tdate\tquantity\r\n{pk}\t2026-06-03\t4.5\r\n"),
]


def test_excel_shaped_files_are_read(world, client_for):
    """CSV UTF-8 (BOM, semicolons, an Italian date and decimal comma), CSV (Windows-1252),
    Unicode text (UTF-16, tabs)."""
    storage = _storage(world)
    client = client_for(world["contoso"])
    for encoding, text in EXCEL_SHAPES:
        UsageRecord.objects.all().delete()
        Charge.objects.filter(kind="usage").delete()
        upload = _run(_upload(client, text.format(pk=storage.pk).encode(encoding)))
        assert upload.encoding == encoding and upload.delimiter in ";\t"
        assert (upload.imported, upload.not_imported) == (1, 0), encoding
        assert UsageRecord.objects.get().quantity == Decimal("4.5")
    # A Windows-1252 header is read right, so the missing column is named as written.
    wrong = "Subscription ID;Usage date;Quantità\r\n1;2026-06-03;4\r\n".encode("cp1252")
    response = _upload(client, wrong)
    assert response.status_code == 400 and "“Quantità”" in response.text


def test_a_file_without_the_columns_is_refused_on_the_field(world, client_for):
    response = _upload(client_for(world["contoso"]), b"email,name\na@b.example,x\n")
    assert response.status_code == 400
    assert 'id="error-summary"' in response.text
    assert 'id="id_file_error"' in response.text
    assert "subscription_id" in response.text
    assert not UsageImport.objects.exists()


def test_another_providers_subscription_is_refused_as_missing(world, client_for):
    storage = _storage(world)
    other = member(ProviderRelationshipFactory(provider=provider_org()).provider)
    data = (
        f"subscription_id,usage_date,quantity\n{storage.pk},2026-06-03,1\n99999999,2026-06-03,1\n"
    ).encode()
    upload = _run(_upload(client_for(other), data))
    messages = list(
        UsageImportRow.objects.filter(usage_import=upload)
        .order_by("line")
        .values_list("message", flat=True)
    )
    assert messages[0] == messages[1] == "No such subscription of yours."
    assert not UsageRecord.objects.exists()


def test_another_tenants_file_is_a_404_and_others_are_refused(world, client_for):
    storage = _storage(world)
    upload = _run(
        _upload(
            client_for(world["contoso"]),
            f"subscription_id,usage_date,quantity\n{storage.pk},2026-06-03,1\n".encode(),
        )
    )
    other = member(ProviderRelationshipFactory(provider=provider_org()).provider)
    stranger = client_for(other)
    assert stranger.get(f"/billing/usage/{upload.pk}/").status_code == 404
    assert stranger.get(f"/billing/usage/{upload.pk}/?fragment=progress").status_code == 404
    # A reseller has no usage files; a provider's agent may not upload.
    assert client_for(world["northwind"]).get("/billing/usage/").status_code == 404
    agent = member(world["pair"].provider, admin_agent=True)
    assert client_for(agent).get("/billing/usage/").status_code == 403
    billing = member(world["pair"].provider, billing_admin=True)
    assert client_for(billing).get("/billing/usage/").status_code == 200


def test_the_list_costs_the_same_queries_at_any_size(world, client_for):
    contoso = world["contoso"]
    client = client_for(contoso)

    def make(count: int) -> None:
        for _ in range(count):
            UsageImport.objects.create(
                organization=contoso.organization, created_by=contoso.user, filename="u.csv"
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/billing/usage/").status_code == 200
        return len(captured)

    make(2)
    queries()  # the session and request context cached, as for every later request
    small = queries()
    make(40)
    assert queries() == small


def test_rows_are_imported_one_batch_per_transaction(world, client_for, monkeypatch):
    storage = _storage(world)
    monkeypatch.setattr(usage_uploads, "BATCH_ROWS", 2)
    rows = "".join(f"{storage.pk},2026-06-{day:02d},1\n" for day in range(1, 6))
    data = f"subscription_id,usage_date,quantity\n{rows}".encode()
    upload = _run(_upload(client_for(world["contoso"]), data))
    assert (upload.processed, upload.imported, upload.status) == (5, 5, "done")
