"""Bulk invitations end to end on a real Celery worker: a 500-row file with 5 bad rows sends 495
invitations once, its progress moves while the worker sends, the 5 are listed with their reasons,
and the same file uploaded again sends nothing. (The largest file, 5,000 rows, is checked by
tests/relationships/test_views_bulk.py; how fast a worker sends 5,000 is bench/'s to measure.)"""

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

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS, BAD = 500, 5
GOOD = ROWS - BAD


def bulk_file(rows: int, bad: int) -> bytes:
    """A provider's reseller file of `rows` rows, `bad` of them without a valid address."""
    lines = ["email,partner_id"]
    for index in range(rows):
        if index % (rows // bad) == 7:
            lines.append(f"not-an-address-{index},")
        else:
            lines.append(f"admin{index}@reseller{index}.bulk.example,{1_000_000 + index}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()  # as Excel saves "CSV UTF-8"


def _upload(client, data: bytes):
    return client.post(
        "/bulk-invitations/",
        {"file": SimpleUploadedFile("resellers.csv", data, content_type="text/csv")},
    )


# The worker's hourly invitation limit (30 by default, tests/relationships/test_bulk_limit.py)
# raised: this test measures sending, progress and once-only, not the limit's waiting.
@pytest.mark.parametrize(
    "celery_stack", [{"PORTAL_RATE_LIMIT_RESELLER_INVITATIONS": "100000/h"}], indirect=True
)
def test_a_500_row_file_sends_495_invitations_once_with_live_progress(celery_stack, client_for):
    client = client_for(member(provider_org(), global_admin=True))
    data = bulk_file(ROWS, BAD)
    started = time.monotonic()
    response = _upload(client, data)
    checked = time.monotonic() - started
    batch = BulkInvitationBatch.objects.get()
    assert response["Location"] == f"/bulk-invitations/{batch.pk}/"
    review = client.get(response["Location"]).text
    assert f"{BAD} rows have an error and will not be sent" in review
    assert f"Send {GOOD} invitations" in review

    client.post(f"/bulk-invitations/{batch.pk}/")  # confirm: the worker takes it from here
    seen: list[int] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        fragment = client.get(f"/bulk-invitations/{batch.pk}/?fragment=progress").text
        seen.append(int(re.search(r'value="(\d+)"', fragment).group(1)))
        if 'hx-trigger="every 2s"' not in fragment:
            break
        time.sleep(0.1)
    sent_in = time.monotonic() - started
    batch.refresh_from_db()
    assert batch.status == "done"
    assert (batch.sent, batch.not_sent, batch.invalid_rows) == (GOOD, 0, BAD)
    assert any(0 < value < GOOD for value in seen), seen  # progress while it ran
    assert seen == sorted(seen)
    assert ResellerInvitation.objects.count() == GOOD
    assert (
        OutboxMessage.objects.filter(template="relationships_reseller_invitation").count() == GOOD
    )

    results = list(
        csv.reader(
            io.StringIO(client.get(f"/bulk-invitations/{batch.pk}/results.csv").getvalue().decode())
        )
    )
    not_sent = [row for row in results[1:] if row[4] != "Sent"]
    assert len(not_sent) == BAD
    assert all("not a valid email address" in row[5] for row in not_sent)
    assert {int(row[0]) for row in not_sent} == {index + 2 for index in range(7, ROWS, ROWS // BAD)}
    page = client.get(f"/bulk-invitations/{batch.pk}/").text
    assert "not-an-address-7" in page

    again = _upload(client, data)
    assert again["Location"] == f"/bulk-invitations/{batch.pk}/"
    time.sleep(2)  # anything queued by mistake would show up here
    assert ResellerInvitation.objects.count() == GOOD
    assert (
        OutboxMessage.objects.filter(template="relationships_reseller_invitation").count() == GOOD
    )
    report(
        "bulk invitations",
        f"{ROWS:,} rows checked in {checked:.1f} s, {GOOD:,} invitations sent by "
        f"a real worker in {sent_in:.1f} s from upload, {len(seen)} progress polls",
    )
