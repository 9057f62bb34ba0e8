from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from portal.models import OutboxMessage
from tests.verification.helpers import last_link_key
from verification.models import VerificationCase

Status = VerificationCase.Status
pytestmark = pytest.mark.django_db


def test_opening_the_link_shows_both_facts_and_changes_nothing(client, open_case):
    response = client.get(f"/verify-contact/{last_link_key(open_case)}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "I signed up for this account" in body
    assert "This email address belongs to the company" in body
    assert "This wasn&#x27;t me" in body or "This wasn't me" in body
    open_case.refresh_from_db()
    assert open_case.status == Status.EMAIL_PENDING


def test_posting_without_both_boxes_shows_errors_and_confirms_nothing(client, open_case):
    response = client.post(
        f"/verify-contact/{last_link_key(open_case)}/", {"action": "confirm", "signed_up": "on"}
    )
    assert response.status_code == 400
    assert "Confirm that this email address belongs to the company." in response.content.decode()
    open_case.refresh_from_db()
    assert open_case.status == Status.EMAIL_PENDING


def test_confirming_by_post_moves_the_case_on(
    client, open_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/verify-contact/{last_link_key(open_case)}/",
            {"action": "confirm", "signed_up": "on", "address_belongs": "on"},
        )
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    open_case.refresh_from_db()
    assert open_case.status == Status.IN_REVIEW


def test_this_wasnt_me_asks_first_then_withdraws_the_case(client, open_case):
    url = f"/verify-contact/{last_link_key(open_case)}/"
    asked = client.post(url, {"action": "deny"}).content.decode()
    assert "Stop the enrolment of" in asked and "This cannot be undone." in asked
    open_case.refresh_from_db()
    assert open_case.status == Status.EMAIL_PENDING
    response = client.post(url, {"action": "deny", "confirmed": "yes"})
    assert "Verification stopped" in response.content.decode()
    open_case.refresh_from_db()
    assert open_case.status == Status.WITHDRAWN


def test_a_used_link_gets_its_own_page(client, open_case):
    key = last_link_key(open_case)
    client.post(f"/verify-contact/{key}/", {"action": "deny", "confirmed": "yes"})
    response = client.get(f"/verify-contact/{key}/")
    assert response.status_code == 410
    assert "This link was already used" in response.content.decode()


def test_an_unknown_link_gets_its_own_page_with_a_way_to_ask_for_a_new_one(client, db):
    response = client.get("/verify-contact/not-a-real-key/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "This link is not valid" in body and "Email me a new link" in body


def test_an_expired_link_offers_a_new_one_which_is_emailed(client, open_case):
    key = last_link_key(open_case)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        response = client.get(f"/verify-contact/{key}/")
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
        response = client.post(f"/verify-contact/{key}/new-link/")
    assert response.status_code == 200
    assert last_link_key(open_case) != key
    assert client.get(f"/verify-contact/{key}/").status_code == 410  # the old one is replaced


def test_new_link_requests_are_rate_limited_per_case(client, open_case):
    key = last_link_key(open_case)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        statuses = []
        for _ in range(4):
            statuses.append(client.post(f"/verify-contact/{key}/new-link/").status_code)
            key = key  # the first (expired, then replaced) link keeps asking
    assert statuses == [200, 200, 200, 429]


def test_asking_by_email_sends_a_link_only_to_a_pending_primary_contact(client, open_case):
    before = OutboxMessage.objects.count()
    client.post("/verify-contact/new-link/", {"email": "stranger@example.com"})
    assert OutboxMessage.objects.count() == before
    email = open_case.organization.legal_profile.primary_contact_email
    response = client.post("/verify-contact/new-link/", {"email": email.upper()})
    assert response.status_code == 200
    assert OutboxMessage.objects.count() == before + 1


def test_a_link_of_a_case_that_expired_shows_the_expired_page_without_a_form(client, open_case):
    key = last_link_key(open_case)
    VerificationCase.objects.filter(pk=open_case.pk).update(status=Status.EXPIRED)
    response = client.get(f"/verify-contact/{key}/")
    assert response.status_code == 410
    body = response.content.decode()
    assert "This link has expired" in body and "I signed up" not in body


def test_confirming_makes_older_links_unusable(
    client, open_case, partner, django_capture_on_commit_callbacks
):
    from verification.services import case_contact_resend

    older = last_link_key(open_case)
    case_contact_resend(case=open_case, actor=partner.user)
    newer = last_link_key(open_case)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/verify-contact/{newer}/",
            {"action": "confirm", "signed_up": "on", "address_belongs": "on"},
        )
    assert client.get(f"/verify-contact/{older}/").status_code == 410
