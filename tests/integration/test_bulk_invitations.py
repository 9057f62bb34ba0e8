"""Bulk invitations end to end on a real Celery worker: a 5,000-row file with 50 bad rows sends
4,950 invitations once, its progress moves while the worker sends, the 50 are listed with their
reasons, and the same file uploaded again sends nothing."""

import csv
import io
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import OutboxMessage
from relationships.models import BulkInvitationBatch, ResellerInvitation
from tests.factories import member
from tests.figures import report
from tests.relationships.factories import provider_org

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROWS, BAD = 5000, 50


def _file() -> bytes:
    lines = ["email,partner_id"]
    for index in range(ROWS):
        if index % (ROWS // BAD) == 7:
            lines.append(f"not-an-address-{index},")  # 50 bad rows
        else:
            lines.append(f"admin{index}@reseller{index}.bulk.example,{index}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()  # as Excel saves "CSV UTF-8"


def _upload(client, data: bytes):
    return client.post(
        "/bulk-invitations/",
        {"file": SimpleUploadedFile("resellers.csv", data, content_type="text/csv")},
    )


def test_a_5000_row_file_sends_4950_invitations_once_with_live_progress(celery_stack, client_for):
    client = client_for(member(provider_org(), global_admin=True))
    data = _file()
    started = time.monotonic()
    response = _upload(client, data)
    checked = time.monotonic() - started
    batch = BulkInvitationBatch.objects.get()
    assert response["Location"] == f"/bulk-invitations/{batch.pk}/"
    review = client.get(response["Location"]).text
    assert "50 rows have an error and will not be sent" in review
    assert "Send 4950 invitations" in review

    client.post(f"/bulk-invitations/{batch.pk}/")  # confirm: the worker takes it from here
    seen: list[int] = []
    deadline = time.monotonic() + 1500
    while time.monotonic() < deadline:
        fragment = client.get(f"/bulk-invitations/{batch.pk}/?fragment=progress").text
        seen.append(int(re.search(r'value="(\d+)"', fragment).group(1)))
        if 'hx-trigger="every 2s"' not in fragment:
            break
        time.sleep(0.25)
    sent_in = time.monotonic() - started
    batch.refresh_from_db()
    assert batch.status == "done"
    assert (batch.sent, batch.not_sent, batch.invalid_rows) == (4950, 0, 50)
    assert any(0 < value < 4950 for value in seen), seen  # progress while it ran
    assert seen == sorted(seen)
    assert ResellerInvitation.objects.count() == 4950
    assert (
        OutboxMessage.objects.filter(template="relationships_reseller_invitation").count() == 4950
    )

    results = list(
        csv.reader(
            io.StringIO(client.get(f"/bulk-invitations/{batch.pk}/results.csv").getvalue().decode())
        )
    )
    not_sent = [row for row in results[1:] if row[4] != "Sent"]
    assert len(not_sent) == 50
    assert all("not a valid email address" in row[5] for row in not_sent)
    assert {int(row[0]) for row in not_sent} == {index + 2 for index in range(7, ROWS, ROWS // BAD)}
    page = client.get(f"/bulk-invitations/{batch.pk}/").text
    assert "not-an-address-7" in page

    again = _upload(client, data)
    assert again["Location"] == f"/bulk-invitations/{batch.pk}/"
    time.sleep(2)  # anything queued by mistake would show up here
    assert ResellerInvitation.objects.count() == 4950
    assert (
        OutboxMessage.objects.filter(template="relationships_reseller_invitation").count() == 4950
    )
    report(
        "bulk invitations",
        f"{ROWS:,} rows checked in {checked:.1f} s, 4,950 invitations sent by "
        f"a real worker in {sent_in:.1f} s from upload, {len(seen)} progress polls",
    )
