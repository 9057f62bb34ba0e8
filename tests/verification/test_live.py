"""Live status (issue 13, item 5): the partner's verification page and the review queue poll a
fragment endpoint with htmx; it answers 204 until something changed, then the new status,
who it waits on and the timeline, with one sentence for the polite live region."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import member
from tests.verification.factories import submitted_reseller
from tests.verification.helpers import last_link_key
from verification.services import case_contact_confirm, case_open

pytestmark = pytest.mark.django_db


def _poll_url(body: str, path: str) -> str:
    match = re.search(rf'hx-get="({re.escape(path)}\?[^"]*v=[0-9a-f]+[^"]*)"', body)
    assert match, f"no poll of {path}"
    return match.group(1).replace("&amp;", "&")


def test_the_partner_page_polls_and_says_who_it_waits_on(client_for, partner, open_case):
    body = client_for(partner).get("/verification/").content.decode()
    assert 'hx-trigger="every 15s"' in body
    assert 'id="live-announce"' in body and 'aria-live="polite"' in body
    assert "Waiting on:</span> Your primary contact, Paola Verdi" in body
    _poll_url(body, "/verification/live/")


def test_the_poll_is_silent_until_the_status_changes_then_brings_it(
    client_for, partner, open_case, django_capture_on_commit_callbacks
):
    client = client_for(partner)
    poll = _poll_url(client.get("/verification/").content.decode(), "/verification/live/")
    assert client.get(poll).status_code == 204

    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    response = client.get(poll)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert 'id="verification-live"' in fragment
    assert 'id="verification_timeline" data-hx-swap-oob="true"' in fragment
    assert "Primary contact confirmed" in fragment
    announce = fragment.split('id="live-announce" data-hx-swap-oob="innerHTML">', 1)[1]
    assert announce.startswith("Verification status: In review.")
    assert "Waiting on: The programme&#x27;s verification team." in announce
    # The new fragment polls with the new digest: silent again.
    assert client.get(_poll_url(fragment, "/verification/live/")).status_code == 204


def test_the_poll_shows_only_the_members_own_case_and_needs_the_pages_permission(
    client_for, partner, open_case
):
    other = submitted_reseller()
    case_open(organization=other.organization, actor=other.user)
    fragment = client_for(other).get("/verification/live/").content.decode()
    assert partner.organization.legal_profile.primary_contact_email not in fragment
    assert other.organization.legal_profile.primary_contact_email in fragment
    without_case = client_for(member(submitted_reseller().organization))
    assert without_case.get("/verification/live/").status_code == 204
    for roles in ({"sales_agent": True}, {"billing_admin": True}, {"helpdesk_agent": True}):
        client = client_for(member(partner.organization, **roles))
        page = client.get("/verification/").status_code
        assert client.get("/verification/live/").status_code == page


def test_the_poll_runs_the_same_queries_with_one_event_or_many(
    client_for, partner, open_case, django_capture_on_commit_callbacks
):
    client = client_for(partner)
    client.get("/verification/live/")
    with CaptureQueriesContext(connection) as few:
        client.get("/verification/live/")
    for _ in range(2):
        open_case.events.create(type="reminded")
    with CaptureQueriesContext(connection) as many:
        client.get("/verification/live/")
    assert len(many) == len(few) <= 12


def test_the_review_queue_polls_with_its_filters_and_brings_a_new_case(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    client = client_for(reviewer_member)
    body = client.get("/review/", {"status": "email_pending"}).content.decode()
    poll = _poll_url(body, "/review/live/")
    assert "status=email_pending" in poll
    assert '<th scope="col">Waiting on</th>' in body
    assert client.get(poll).status_code == 204

    waiting = submitted_reseller()
    case_open(organization=waiting.organization, actor=waiting.user)
    client.get("/review/")  # the counts are cached a minute; the rows are read every time
    fragment = client.get(poll).content.decode()
    assert waiting.organization.legal_profile.legal_name in fragment
    assert "The partner&#x27;s primary contact" in fragment
    assert 'id="queue_counts" data-hx-swap-oob="true"' in fragment
    assert "The verification queue changed" in fragment


def test_the_review_queue_poll_is_for_verification_admins_only(client_for, partner, open_case):
    response = client_for(partner).get("/review/live/")
    assert response.status_code == client_for(partner).get("/review/").status_code != 200
