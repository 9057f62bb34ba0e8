"""An organization's change (here its status, when a reviewer approves it) is seen by its
members' very next request, though who is asking is read from the cache
(portal/request_context.py)."""

import pytest
from django.test import Client

from portal.models import Organization
from tests.verification.helpers import last_link_key
from verification.services import case_approve, case_contact_confirm

pytestmark = pytest.mark.django_db


def test_an_approved_organization_is_verified_on_its_members_next_request(
    partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(partner.user)
    client.get("/dashboard/")  # fills the cache
    response = client.get("/dashboard/")
    assert response.context["current_organization"].status == Organization.Status.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    open_case.refresh_from_db()

    case_approve(case=open_case, actor=reviewer_member.user, note="All good")

    response = client.get("/dashboard/")
    assert response.context["current_organization"].status == Organization.Status.VERIFIED
