"""Legal info edits re-open verification of what changed (DOMAIN.md / issue: Legal info)."""

import pytest

from enrollment.services import legal_profile_update
from portal.models import Organization
from tests.verification.helpers import last_link_key, templates_sent
from verification.models import CaseEvent, VerificationCase
from verification.services import case_approve, case_contact_confirm

Status = VerificationCase.Status
pytestmark = pytest.mark.django_db


def _verified(case, partner, reviewer_member, capture):
    with capture(execute=True):
        case_contact_confirm(key=last_link_key(case))
    case.refresh_from_db()
    case_approve(case=case, actor=reviewer_member.user, expected_version=case.version)
    case.refresh_from_db()
    assert case.status == Status.VERIFIED
    return case


def test_verified_partner_changing_its_address_goes_back_to_review_and_stays_verified(
    partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _verified(open_case, partner, reviewer_member, django_capture_on_commit_callbacks)
    profile = partner.organization.legal_profile
    legal_profile_update(
        profile=profile,
        actor=partner.user,
        changes={"address_line1": "Via Dante 5", "city": "Torino"},
    )
    case.refresh_from_db()
    partner.organization.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert partner.organization.status == Organization.Status.VERIFIED  # business goes on
    event = case.events.order_by("-pk").first()
    assert event.type == CaseEvent.Type.DETAILS_CHANGED
    assert event.details == {"fields": ["address_line1", "city"]}
    assert event.actor == partner.user
    assert "verification_details_changed" in templates_sent(case)


def test_change_during_review_is_recorded_for_the_reviewer_without_a_status_change(
    partner, open_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    open_case.refresh_from_db()
    version = open_case.version
    legal_profile_update(
        profile=partner.organization.legal_profile,
        actor=partner.user,
        changes={"phone": "+39 02 9999 0000"},
    )
    open_case.refresh_from_db()
    assert open_case.status == Status.IN_REVIEW
    assert open_case.version == version + 1
    assert open_case.events.filter(
        type=CaseEvent.Type.DETAILS_CHANGED, details={"fields": ["phone"]}
    ).exists()
    assert "verification_details_changed" not in templates_sent(open_case)


def test_saving_without_changes_leaves_verification_alone(partner, open_case):
    events = open_case.events.count()
    profile = partner.organization.legal_profile
    legal_profile_update(profile=profile, actor=partner.user, changes={"city": profile.city})
    assert open_case.events.count() == events


def test_timeline_names_the_changed_fields_to_partner_and_reviewer(
    partner, open_case, reviewer_member, client_for
):
    legal_profile_update(
        profile=partner.organization.legal_profile,
        actor=partner.user,
        changes={"phone": "+39 02 9999 0000", "city": "Torino"},
    )
    partner_page = client_for(partner).get("/verification/").text
    review_page = client_for(reviewer_member).get(f"/review/{open_case.pk}/").text
    for page in (partner_page, review_page):
        assert "Legal info changed" in page
        assert "Changed: city, company phone" in page
