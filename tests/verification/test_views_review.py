from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import member
from tests.verification.factories import operator_org, reviewer, submitted_reseller
from tests.verification.helpers import last_link_key
from verification.models import VerificationCase
from verification.services import case_contact_confirm, case_open

Status = VerificationCase.Status
pytestmark = pytest.mark.django_db


def _case_in_review(capture, **profile):
    partner = submitted_reseller(**profile)
    case = case_open(organization=partner.organization, actor=partner.user)
    with capture(execute=True):
        case_contact_confirm(key=last_link_key(case))
    case.refresh_from_db()
    return case


def test_reviewer_sees_cases_of_every_tenant_with_counts_and_chart(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    first = _case_in_review(django_capture_on_commit_callbacks)
    second = _case_in_review(django_capture_on_commit_callbacks)
    response = client_for(reviewer_member).get("/review/")
    body = response.content.decode()
    assert response.status_code == 200
    assert first.organization.legal_name in body and second.organization.legal_name in body
    assert "<svg" in body and "Cases waiting on reviewers by age" in body
    assert "In review</a>: <strong>2</strong>" in body
    assert "style=" not in body


def test_a_case_waiting_over_two_business_days_is_marked_over_sla_in_words(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    case = _case_in_review(django_capture_on_commit_callbacks)
    VerificationCase.objects.filter(pk=case.pk).update(
        waiting_since=timezone.now() - timedelta(days=5)
    )
    body = client_for(reviewer_member).get("/review/").content.decode()
    assert "Over SLA" in body


def test_filters_narrow_the_queue(client_for, reviewer_member, django_capture_on_commit_callbacks):
    italian = _case_in_review(django_capture_on_commit_callbacks)
    german = _case_in_review(django_capture_on_commit_callbacks, country="DE")
    client = client_for(reviewer_member)
    body = client.get("/review/", {"country": "DE"}).content.decode()
    assert german.organization.legal_name in body
    assert italian.organization.legal_name not in body
    body = client.get("/review/", {"assignee": "none", "status": "in_review"}).content.decode()
    assert italian.organization.legal_name in body


def test_failing_check_filter_shows_only_cases_with_that_failure(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    clean = _case_in_review(django_capture_on_commit_callbacks)
    duplicate = _case_in_review(
        django_capture_on_commit_callbacks, legal_name=clean.organization.legal_name
    )
    body = client_for(reviewer_member).get("/review/", {"failing": "no_duplicate"}).content.decode()
    assert f"/review/{duplicate.pk}/" in body
    assert f"/review/{clean.pk}/" not in body  # checked before the duplicate existed


def test_queue_query_count_stays_within_the_budget(
    client_for, reviewer_member, django_assert_max_num_queries
):
    for _ in range(3):
        partner = submitted_reseller()
        case_open(organization=partner.organization, actor=partner.user)
    client = client_for(reviewer_member)
    with django_assert_max_num_queries(11):
        response = client.get("/review/", {"status": "email_pending"})
    assert len(response.context["page"].object_list) == 3


def test_queue_query_count_is_the_same_for_1_and_3_cases(client_for, reviewer_member):
    client = client_for(reviewer_member)

    def count_queries() -> int:
        cache.clear()  # the counts are cached a minute: compare two uncached pages
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/review/").status_code == 200
        return len(queries.captured_queries)

    partner = submitted_reseller()
    case_open(organization=partner.organization, actor=partner.user)
    one = count_queries()
    for _ in range(2):
        partner = submitted_reseller()
        case_open(organization=partner.organization, actor=partner.user)
    assert count_queries() == one


def test_resellers_get_404_and_operator_members_without_the_role_get_403(
    client_for, partner, open_case
):
    assert client_for(partner).get("/review/").status_code == 404
    assert client_for(partner).get(f"/review/{open_case.pk}/").status_code == 404
    plain = member(operator_org())
    assert client_for(plain).get("/review/").status_code == 403
    assert (
        client_for(plain).post(f"/review/{open_case.pk}/claim/", {"version": 1}).status_code == 403
    )


def test_reviewers_without_mfa_are_sent_to_set_it_up_when_required(
    client_for, reviewer_member, settings
):
    settings.PORTAL_REQUIRE_MFA = True
    response = client_for(reviewer_member).get("/review/")
    assert response.status_code == 302 and response.url == "/accounts/2fa/totp/activate/"
    Authenticator.objects.create(
        user=reviewer_member.user, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    assert client_for(reviewer_member).get("/review/").status_code == 200


def test_a_warm_review_page_does_not_ask_again_for_the_second_factor(
    client_for, reviewer_member, settings
):
    """The middleware's answer (kept in the request context cache) serves the queue's own check:
    once warm, a page of the queue reads no authenticator."""
    settings.PORTAL_REQUIRE_MFA = True
    Authenticator.objects.create(
        user=reviewer_member.user, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    client = client_for(reviewer_member)
    assert client.get("/review/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/review/").status_code == 200
    assert not [q for q in queries.captured_queries if "mfa_authenticator" in q["sql"]]


def test_reviewers_without_mfa_get_in_when_not_required(client_for, reviewer_member, settings):
    settings.PORTAL_REQUIRE_MFA = False
    assert client_for(reviewer_member).get("/review/").status_code == 200


def test_case_page_shows_application_checks_and_timeline(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    case = _case_in_review(django_capture_on_commit_callbacks)
    body = client_for(reviewer_member).get(f"/review/{case.pk}/").content.decode()
    assert case.organization.legal_profile.address_line1 in body
    assert "No duplicate organization" in body and "Passed" in body
    assert "Automated checks completed" in body
    assert "Approve" in body and "Request more information" in body


def test_approving_from_the_case_page_and_a_second_reviewer_sees_the_conflict(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    case = _case_in_review(django_capture_on_commit_callbacks)
    other = reviewer()
    data = {"version": case.version, "note": ""}
    client_for(reviewer_member).post(f"/review/{case.pk}/approve/", data)
    response = client_for(other).post(f"/review/{case.pk}/approve/", data, follow=True)
    body = response.content.decode()
    assert "This case was already approved by" in body and "nothing was changed" in body
    case.refresh_from_db()
    assert case.status == Status.VERIFIED
    assert case.events.filter(type="approved").count() == 1


def test_rejecting_without_a_reason_shows_the_error_beside_the_field(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    case = _case_in_review(django_capture_on_commit_callbacks)
    response = client_for(reviewer_member).post(
        f"/review/{case.pk}/reject/", {"version": case.version, "reason": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'aria-describedby="id_reject_reason_error"' in body and "There is a problem" in body


def test_request_information_from_the_case_page(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    case = _case_in_review(django_capture_on_commit_callbacks)
    client_for(reviewer_member).post(
        f"/review/{case.pk}/request-info/",
        {"version": case.version, "document_types": ["tax_registration"], "message": "VAT"},
    )
    case.refresh_from_db()
    assert case.status == Status.INFO_REQUESTED


def test_age_filter_and_newest_first_sort(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    old = _case_in_review(django_capture_on_commit_callbacks)
    new = _case_in_review(django_capture_on_commit_callbacks)
    VerificationCase.objects.filter(pk=old.pk).update(
        waiting_since=timezone.now() - timedelta(days=4)
    )
    client = client_for(reviewer_member)
    body = client.get("/review/", {"age": "3-6"}).content.decode()
    assert f"/review/{old.pk}/" in body and f"/review/{new.pk}/" not in body
    oldest_first = client.get("/review/").content.decode()
    assert oldest_first.index(f"/review/{old.pk}/") < oldest_first.index(f"/review/{new.pk}/")
    newest_first = client.get("/review/", {"sort": "newest"}).content.decode()
    assert newest_first.index(f"/review/{new.pk}/") < newest_first.index(f"/review/{old.pk}/")


def test_reviewer_dashboard_summarises_the_queue(client_for):
    from verification.services import verification_case_open

    verification_case_open(organization=submitted_reseller().organization, actor=None)
    page = client_for(reviewer()).get("/dashboard/").text
    assert "1 case waiting on the partner" in page
    assert 'href="/review/"' in page
    assert "Add yourself to Admin agent" not in page


def test_each_decision_form_on_the_case_page_has_its_own_ids(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    """The label "Note to the partner" focuses the reject form's note, not the approve form's."""
    case = _case_in_review(django_capture_on_commit_callbacks)
    body = client_for(reviewer_member).get(f"/review/{case.pk}/").content.decode()
    assert '<label class="form-label" for="id_reject_note">Note to the partner' in body
    reject_form = body.split(f'action="/review/{case.pk}/reject/"', 1)[1].split("</form>", 1)[0]
    assert 'id="id_reject_note"' in reject_form and 'name="note"' in reject_form
    assert 'id="id_approve_note"' in body and body.count('id="id_note"') == 0


def test_the_reviewer_reads_statuses_in_the_reviewers_words(
    client_for, reviewer_member, django_capture_on_commit_callbacks
):
    waiting = case_open(organization=submitted_reseller().organization, actor=None)
    client = client_for(reviewer_member)
    queue = client.get("/review/", {"status": "email_pending"}).content.decode()
    case_page = client.get(f"/review/{waiting.pk}/").content.decode()
    for body in (queue, case_page):
        assert "Waiting for the partner&#x27;s primary contact" in body
        assert "Waiting for your primary contact" not in body
