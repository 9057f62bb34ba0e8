"""One authorization path: every service and page asks `portal.policy` (the RULES table), the
reviewers' and staff's included. Changing the table changes what they allow."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from portal import policy
from portal.models import Role
from portal.outbox import outbox_enqueue
from portal.policy import Action, membership_of, require_member
from tests.factories import member
from tests.verification.factories import reviewer, submitted_reseller
from tests.verification.helpers import last_link_key
from verification.models import DocumentType, VerificationCase
from verification.services import (
    case_approve,
    case_assign,
    case_claim,
    case_contact_change,
    case_contact_confirm,
    case_contact_resend,
    case_open,
    case_reject,
    case_request_info,
    document_upload,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def case_in_review(django_capture_on_commit_callbacks):
    partner = submitted_reseller()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(organization=partner.organization, actor=partner.user)
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(case))
    case.refresh_from_db()
    assert case.status == VerificationCase.Status.IN_REVIEW
    return partner, case


def _reviewer_services(case, actor):
    return [
        lambda: case_claim(actor=actor, case=case),
        lambda: case_approve(actor=actor, case=case),
        lambda: case_reject(actor=actor, case=case, reason="other"),
        lambda: case_request_info(
            actor=actor,
            case=case,
            document_types=[DocumentType.values[0]],
            message="Send it",
        ),
    ]


def test_reviewer_only_services_refuse_a_partner_admin_through_the_policy(case_in_review):
    partner, case = case_in_review
    for call in _reviewer_services(case, partner.user):
        with pytest.raises(PermissionDenied, match=Action.REVIEW_VERIFICATION.value):
            call()
    case.refresh_from_db()
    assert case.status == VerificationCase.Status.IN_REVIEW and case.assignee is None


def test_an_operator_member_without_the_reviewer_role_is_refused(case_in_review):
    _partner, case = case_in_review
    operator_admin = member(reviewer().organization)  # Global admin of the operator only
    for call in _reviewer_services(case, operator_admin.user):
        with pytest.raises(PermissionDenied):
            call()


def test_a_case_is_assigned_only_to_someone_the_policy_lets_review(case_in_review):
    partner, case = case_in_review
    with pytest.raises(PermissionDenied):
        case_assign(actor=reviewer().user, case=case, assignee=partner.user)


def test_the_reviewer_services_follow_the_policy_table(case_in_review, monkeypatch):
    _partner, case = case_in_review
    reviewer_member = reviewer()
    kinds, _roles = policy.RULES[Action.REVIEW_VERIFICATION]
    monkeypatch.setitem(policy.RULES, Action.REVIEW_VERIFICATION, (kinds, {Role.GLOBAL_ADMIN}))
    with pytest.raises(PermissionDenied):
        case_claim(actor=reviewer_member.user, case=case)
    monkeypatch.setitem(
        policy.RULES, Action.REVIEW_VERIFICATION, (kinds, {Role.VERIFICATION_ADMIN})
    )
    case_claim(actor=reviewer_member.user, case=case)
    case.refresh_from_db()
    assert case.assignee == reviewer_member.user


def test_partner_case_services_need_manage_verification(django_capture_on_commit_callbacks):
    partner = submitted_reseller()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(organization=partner.organization, actor=partner.user)
    helpdesk = member(partner.organization, helpdesk_agent=True)
    domain = partner.organization.primary_domain
    with pytest.raises(PermissionDenied, match=Action.MANAGE_VERIFICATION.value):
        case_contact_resend(actor=helpdesk.user, case=case)
    with pytest.raises(PermissionDenied, match=Action.MANAGE_VERIFICATION.value):
        case_contact_change(
            actor=helpdesk.user,
            case=case,
            first_name="Nora",
            last_name="Neri",
            email=f"nora.neri@{domain}",
            phone="+39 02 1234 5601",
        )
    with pytest.raises(PermissionDenied, match=Action.MANAGE_VERIFICATION.value):
        document_upload(
            actor=helpdesk.user,
            case=case,
            document_type=DocumentType.values[0],
            comment="",
            file=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
        )
    outsider = submitted_reseller()  # a Global admin, of another organization
    with pytest.raises(PermissionDenied):
        case_contact_resend(actor=outsider.user, case=case)


def test_require_member_finds_the_membership_of_the_organization_named():
    partner = submitted_reseller()
    other = submitted_reseller()
    found = require_member(
        actor=partner.user, organization=partner.organization, action=Action.EDIT_LEGAL_INFO
    )
    assert found == partner
    with pytest.raises(PermissionDenied):
        require_member(
            actor=partner.user, organization=other.organization, action=Action.EDIT_LEGAL_INFO
        )
    assert membership_of(None, partner.organization) is None
    assert membership_of(partner.user, None, Action.REVIEW_VERIFICATION) is None


# --- Staff and reviewer pages ask the policy too ---


def test_the_outbox_is_a_policy_action_for_staff(client_for, settings):
    settings.DEBUG = True
    outbox_enqueue(key="k1", to="pat@x.example", template="test_message", context={"name": "Pat"})
    reviewer_member = reviewer()
    assert not policy.can(reviewer_member, Action.READ_OUTBOX)
    assert client_for(reviewer_member).get("/outbox/").status_code == 404
    reviewer_member.user.is_staff = True
    reviewer_member.user.save(update_fields=["is_staff"])
    assert policy.can(reviewer_member, Action.READ_OUTBOX)
    client = client_for(reviewer_member)
    assert client.get("/outbox/").status_code == 200
    assert 'href="/outbox/"' in client.get("/dashboard/").text


def test_the_outbox_page_follows_the_policy_table(client_for, settings, monkeypatch):
    settings.DEBUG = True
    staff = reviewer()
    staff.user.is_staff = True
    staff.user.save(update_fields=["is_staff"])
    monkeypatch.setitem(policy.RULES, Action.READ_OUTBOX, (set(), set()))
    client = client_for(staff)
    assert client.get("/outbox/").status_code == 404
    assert 'href="/outbox/"' not in client.get("/dashboard/").text


def test_the_review_queue_follows_the_policy_table(client_for, monkeypatch):
    reviewer_member = reviewer()
    assert client_for(reviewer_member).get("/review/").status_code == 200
    kinds, _roles = policy.RULES[Action.REVIEW_VERIFICATION]
    monkeypatch.setitem(policy.RULES, Action.REVIEW_VERIFICATION, (kinds, {Role.GLOBAL_ADMIN}))
    assert client_for(reviewer_member).get("/review/").status_code == 403
