"""Bulk files keep the organization's hourly invitation limit (PORTAL_RATE_LIMITS, "30/h"), the
same count as invitations typed in the form: the sending stops at the limit, the rest waits in
the database, and the beat sweep sends it in the next window; the pages say the limit."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings

from relationships.models import BulkInvitationBatch, CustomerInvitation, ResellerInvitation
from relationships.services.bulk import bulk_batches_resume_due
from tests.factories import member
from tests.relationships.factories import ProviderRelationshipFactory, provider_org
from tests.relationships.test_views_bulk import upload

pytestmark = pytest.mark.django_db

INVITE = "/indirect-resellers/invite/"
TEN_FIFTEEN = datetime(2026, 12, 7, 10, 15, tzinfo=UTC)


def reseller_file(rows: int) -> str:
    lines = ["email,partner_id"] + [f"admin{i}@reseller{i}.limit.example," for i in range(rows)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def provider_admin():
    return member(provider_org(), global_admin=True)


@pytest.fixture
def three_an_hour(settings):
    settings.PORTAL_RATE_LIMITS = {
        **settings.PORTAL_RATE_LIMITS,
        "reseller_invitation": "3/h",
        "customer_invitation": "3/h",
    }


def upload_and_confirm(client, text, django_capture_on_commit_callbacks, **data):
    upload(client, text, **data)
    batch = BulkInvitationBatch.objects.latest("pk")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/bulk-invitations/{batch.pk}/")
    batch.refresh_from_db()
    return batch


def test_the_documented_limit_is_30_invitations_an_hour_for_each_kind():
    assert settings.PORTAL_RATE_LIMITS["reseller_invitation"] == "30/h"
    assert settings.PORTAL_RATE_LIMITS["customer_invitation"] == "30/h"


@pytest.mark.usefixtures("three_an_hour")
def test_the_task_sends_the_limit_and_the_rest_goes_out_in_the_next_window(
    client_for, provider_admin, django_capture_on_commit_callbacks
):
    client = client_for(provider_admin)
    with time_machine.travel(TEN_FIFTEEN, tick=False):
        batch = upload_and_confirm(client, reseller_file(5), django_capture_on_commit_callbacks)
        assert (batch.status, batch.sent, batch.waiting) == ("running", 3, 2)
        assert batch.next_send_at == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
        assert ResellerInvitation.objects.count() == 3
        page = client.get(f"/bulk-invitations/{batch.pk}/").text
        assert (
            "Sending at most 3 invitations an hour: 3 sent, 2 waiting, next batch at 11:00 UTC."
            in page
        )
        assert 'hx-trigger="every 30s"' in page  # waiting: no need to ask every 2 s

    with (
        time_machine.travel(datetime(2026, 12, 7, 10, 59, 59, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert bulk_batches_resume_due() == 0  # not before the window opens
    assert ResellerInvitation.objects.count() == 3

    with time_machine.travel(datetime(2026, 12, 7, 11, 0, 30, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert bulk_batches_resume_due() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert bulk_batches_resume_due() == 0  # claimed once
    batch.refresh_from_db()
    assert (batch.status, batch.sent, batch.waiting, batch.next_send_at) == ("done", 5, 0, None)
    assert ResellerInvitation.objects.count() == 5


@pytest.mark.usefixtures("three_an_hour")
def test_a_file_and_the_form_share_one_count(
    client_for, provider_admin, django_capture_on_commit_callbacks
):
    client = client_for(provider_admin)
    with time_machine.travel(TEN_FIFTEEN, tick=False):
        for n in range(2):  # two invitations typed in the form
            assert client.post(INVITE, {"email": f"typed{n}@typed.example"}).status_code == 302
        batch = upload_and_confirm(client, reseller_file(4), django_capture_on_commit_callbacks)
        assert (batch.sent, batch.waiting) == (1, 3)
        # And the file's sending used the hour up for the form too: its 429 page.
        assert client.post(INVITE, {"email": "late@typed.example"}).status_code == 429


@pytest.mark.usefixtures("three_an_hour")
def test_a_customer_file_waits_for_the_limit_too(client_for, django_capture_on_commit_callbacks):
    relationship = ProviderRelationshipFactory()
    client = client_for(member(relationship.reseller, global_admin=True))
    lines = ["email,company_name"] + [f"it@cust{i}.example,Cust {i} S.p.A." for i in range(4)]
    with time_machine.travel(TEN_FIFTEEN, tick=False):
        batch = upload_and_confirm(
            client,
            "\n".join(lines) + "\n",
            django_capture_on_commit_callbacks,
            provider=relationship.provider_id,
        )
    assert (batch.sent, batch.waiting) == (3, 1)
    assert CustomerInvitation.objects.count() == 3


def test_the_upload_and_review_pages_say_the_limit_before_confirming(client_for, provider_admin):
    client = client_for(provider_admin)
    page = client.get("/bulk-invitations/").text
    assert "Your organization sends at most 30 invitations an hour" in page
    upload(client, reseller_file(75))
    batch = BulkInvitationBatch.objects.get()
    review = client.get(f"/bulk-invitations/{batch.pk}/").text
    assert "Your organization sends at most 30 invitations an hour" in review
    assert "This file goes out in at least 3 batches" in review
