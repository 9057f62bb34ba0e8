from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enrollment.models import EnrollmentDraft, LegalProfile
from portal.models import AuditEvent, Membership, Organization
from tests.enrollment.factories import (
    contact_data,
    drafting_user,
    legal_data,
    support_data,
)
from tests.factories import PASSWORD, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "/enroll/reseller/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_welcome_and_start_pages_are_public_and_lead_to_the_account_step(client):
    assert "Get started" in client.get(f"{BASE}welcome/").text
    start = client.get(f"{BASE}start/").text
    assert "What you need" in start
    assert f'href="{BASE}account/"' in start


def test_account_step_offers_sign_in_and_create_one_returning_to_the_wizard(client):
    page = client.get(f"{BASE}account/").text
    assert "/accounts/login/?next=%2Fenroll%2Freseller%2Faccount%2F" in page
    assert "/accounts/signup/?next=%2Fenroll%2Freseller%2Faccount%2F" in page
    assert "Create one" in page


def test_account_step_makes_the_user_global_admin_of_a_new_draft_reseller(client):
    user = UserFactory(email="ann@new-company.example")
    client.force_login(user)
    response = client.post(f"{BASE}account/")
    assert response["Location"] == f"{BASE}legal/"
    membership = Membership.objects.get(user=user)
    assert membership.global_admin
    org = membership.organization
    assert (org.kind, org.status, org.primary_domain) == (
        Organization.Kind.RESELLER,
        Organization.Status.DRAFT,
        "new-company.example",
    )
    assert EnrollmentDraft.objects.get(user=user).organization == org


def test_account_step_refuses_a_domain_that_already_has_an_account(client):
    OrganizationFactory(primary_domain="taken.example")
    user = UserFactory(email="late@taken.example")
    client.force_login(user)
    response = client.post(f"{BASE}account/")
    assert response.status_code == 200
    assert "This company already has an account; ask its Global admin to add you." in (
        response.text
    )
    assert not Membership.objects.filter(user=user).exists()
    assert not EnrollmentDraft.objects.filter(user=user).exists()


def test_get_of_the_account_step_changes_nothing(client):
    user = UserFactory(email="ann@quiet.example")
    client.force_login(user)
    client.get(f"{BASE}account/")
    assert not Organization.objects.filter(primary_domain="quiet.example").exists()


def test_form_steps_need_a_signed_in_user(client):
    response = client.get(f"{BASE}legal/")
    assert response["Location"].startswith("/accounts/login/?next=")


def test_step_indicator_says_where_you_are():
    draft = drafting_user()
    page = signed_in(draft.user).get(f"{BASE}legal/").text
    assert "Step 2 of 5" in page
    assert '<li aria-current="step">' in page
    assert "Legal business profile" in page


def test_next_saves_the_step_in_the_draft_and_moves_on():
    draft = drafting_user()
    response = signed_in(draft.user).post(f"{BASE}legal/", {**legal_data(), "nav": "next"})
    assert response["Location"] == f"{BASE}contact/"
    draft.refresh_from_db()
    assert draft.step == "contact"
    assert draft.data["legal"]["legal_name"] == "Acme Cloud S.r.l."
    assert draft.data["legal"]["phone"] == "+39 06 1234 5678"


def test_next_again_with_the_same_answers_writes_nothing_and_a_change_is_saved():
    """Next pressed twice (or the page sent again) moves on as before; the draft is not
    written again, so it keeps the moment it last changed."""
    draft = drafting_user()
    client = signed_in(draft.user)
    client.post(f"{BASE}legal/", {**legal_data(), "nav": "next"})
    draft.refresh_from_db()
    saved_at = draft.updated_at
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{BASE}legal/", {**legal_data(), "nav": "next"})
    assert response["Location"] == f"{BASE}contact/"
    # No write, and no transaction opened for none (a savepoint inside the test's own).
    assert not [q for q in queries if q["sql"].startswith(("UPDATE", "SAVEPOINT"))]
    draft.refresh_from_db()
    assert draft.updated_at == saved_at and draft.step == "contact"
    response = client.post(f"{BASE}legal/", {**legal_data(city="Milano"), "nav": "next"})
    assert response["Location"] == f"{BASE}contact/"
    draft.refresh_from_db()
    assert draft.data["legal"]["city"] == "Milano" and draft.updated_at > saved_at


def test_draft_survives_sign_out_and_resumes_in_a_new_browser():
    draft = drafting_user(through="legal")
    first = Client()
    first.post("/accounts/login/", {"login": draft.user.email, "password": PASSWORD})
    first.post("/accounts/logout/")
    second = Client()
    second.post("/accounts/login/", {"login": draft.user.email, "password": PASSWORD})
    for page in ("welcome", "start"):
        text = second.get(f"{BASE}{page}/").text
        assert "Continue where you left off" in text
        assert f'href="{BASE}contact/"' in text
    legal_page = second.get(f"{BASE}legal/").text
    assert 'value="Acme Cloud S.r.l."' in legal_page


def test_steps_ahead_of_the_draft_redirect_to_where_it_stopped():
    draft = drafting_user(through="legal")
    response = signed_in(draft.user).get(f"{BASE}review/")
    assert response["Location"] == f"{BASE}contact/"


def test_back_keeps_what_was_typed_on_the_current_step():
    draft = drafting_user(through="legal")
    client = signed_in(draft.user)
    typed = contact_data(draft.organization.primary_domain, primary_contact_first_name="Bea")
    response = client.post(f"{BASE}contact/", {**typed, "nav": "back"})
    assert response["Location"] == f"{BASE}legal/"
    assert 'value="Bea"' in client.get(f"{BASE}contact/").text


def test_an_error_keeps_every_typed_value_on_the_page():
    draft = drafting_user()
    data = legal_data(phone="123", city="Napoli")
    page = signed_in(draft.user).post(f"{BASE}legal/", {**data, "nav": "next"}).text
    assert 'value="Napoli"' in page
    assert 'value="123"' in page
    assert 'id="error-summary"' in page
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in page or (
        'aria-describedby="id_phone_error"' in page
    )


def _complete(draft):
    domain = draft.organization.primary_domain
    client = signed_in(draft.user)
    client.post(f"{BASE}legal/", {**legal_data(), "nav": "next"})
    client.post(f"{BASE}contact/", {**contact_data(domain), "nav": "next"})
    client.post(f"{BASE}support/", {**support_data(domain), "nav": "next"})
    return client


def test_review_shows_every_answer_and_register_now():
    draft = drafting_user()
    client = _complete(draft)
    page = client.get(f"{BASE}review/").text
    assert "Step 5 of 5" in page
    assert "Acme Cloud S.r.l." in page
    assert "Italy" in page
    assert "Register now" in page


def test_register_now_submits_the_organization_and_opens_verification(
    django_capture_on_commit_callbacks,
):
    draft = drafting_user()
    client = _complete(draft)
    with (
        mock.patch("verification.services.verification_case_open") as case_open,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"{BASE}review/")
    assert response["Location"] == f"{BASE}confirmation/"
    org = Organization.objects.get(pk=draft.organization_id)
    assert org.status == Organization.Status.SUBMITTED
    assert org.enrolled_at is not None
    assert org.legal_name == "Acme Cloud S.r.l."
    assert org.country_id == "IT"
    profile = LegalProfile.objects.get(organization=org)
    assert profile.primary_contact_email == f"anna.bruni@{org.primary_domain}"
    case_open.assert_called_once_with(organization=org, actor=draft.user)
    assert AuditEvent.objects.filter(organization=org, type="organization.submitted").exists()
    assert not EnrollmentDraft.objects.filter(pk=draft.pk).exists()
    page = client.get(f"{BASE}confirmation/").text
    assert "We emailed your primary contact" in page
    assert "several days" in page
    assert 'href="/verification/"' in page


def test_register_now_saves_nothing_when_verification_cannot_open_a_case():
    draft = drafting_user()
    client = _complete(draft)
    with (
        mock.patch(
            "verification.services.verification_case_open", side_effect=RuntimeError("down")
        ),
        pytest.raises(RuntimeError),
    ):
        client.post(f"{BASE}review/")
    org = Organization.objects.get(pk=draft.organization_id)
    assert org.status == Organization.Status.DRAFT
    assert not LegalProfile.objects.filter(organization=org).exists()
    assert EnrollmentDraft.objects.filter(pk=draft.pk).exists()


def test_register_now_sends_back_to_a_step_that_became_invalid():
    draft = drafting_user(through="support")
    OrganizationFactory(legal_name="Acme Cloud S.r.l.", status=Organization.Status.SUBMITTED)
    client = signed_in(draft.user)
    with mock.patch("verification.services.verification_case_open") as case_open:
        response = client.post(f"{BASE}review/")
    assert response["Location"] == f"{BASE}legal/?check=1"
    case_open.assert_not_called()
    page = client.get(response["Location"]).text
    assert "This company already has an account; ask its Global admin to add you." in page
    assert not LegalProfile.objects.filter(organization=draft.organization).exists()


def test_dashboard_of_a_draft_organization_offers_to_continue_the_enrolment():
    draft = drafting_user(through="legal")
    page = signed_in(draft.user).get("/dashboard/").text
    assert "Finish your enrolment" in page
    assert f'href="{BASE}contact/"' in page


@pytest.mark.parametrize("step", ["legal", "contact", "support", "review"])
def test_every_wizard_page_renders_in_italian(step):
    draft = drafting_user(through="support")
    draft.user.language = "it"
    draft.user.save()
    response = signed_in(draft.user).get(f"{BASE}{step}/")
    assert response.status_code == 200
    assert response["Content-Language"] == "it"
