"""member_password_reset: the portal's reset link, emailed to a member; Global admins' passwords
are reset only by the organization's own Global admins."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from enrollment.services import member_password_reset
from portal.models import AuditEvent, OutboxMessage
from tests.factories import PASSWORD, acting, member

pytestmark = pytest.mark.django_db


def test_a_global_admin_sends_a_member_the_reset_link_that_sets_a_new_password():
    admin = member()
    colleague = member(admin.organization, sales_agent=True)
    member_password_reset(**acting(admin), membership_id=colleague.pk)
    message = OutboxMessage.objects.get(template="enrollment_password_reset")
    assert message.to_email == colleague.user.email
    event = AuditEvent.objects.get(type="membership.password_reset")
    assert event.organization == admin.organization and event.actor == admin.user
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body_text)
    client = Client()
    response = client.get(path.group(1), follow=True)
    assert response.status_code == 200
    new = "Another-Partner-2027!"
    client.post(response.redirect_chain[-1][0], {"password1": new, "password2": new})
    colleague.user.refresh_from_db()
    assert colleague.user.check_password(new)
    assert not colleague.user.check_password(PASSWORD)


def test_a_global_admin_resets_another_global_admin():
    admin = member()
    other = member(admin.organization)
    member_password_reset(**acting(admin), membership_id=other.pk)
    assert OutboxMessage.objects.filter(to_email=other.user.email).exists()


def test_members_without_the_action_are_refused():
    admin = member()
    helpdesk = member(admin.organization, helpdesk_agent=True)
    with pytest.raises(PermissionDenied):
        member_password_reset(**acting(helpdesk), membership_id=admin.pk)
    assert not OutboxMessage.objects.exists()


def test_another_organizations_member_is_not_found():
    admin = member()
    stranger = member()
    with pytest.raises(Exception) as exc:
        member_password_reset(**acting(admin), membership_id=stranger.pk)
    assert type(exc.value).__name__ == "DoesNotExist"
    assert not OutboxMessage.objects.exists()


def test_the_users_page_offers_the_button_to_global_admins():
    admin = member()
    colleague = member(admin.organization, sales_agent=True)
    client = Client()
    client.force_login(admin.user)
    page = client.get("/settings/users/").content.decode()
    assert f"/settings/users/{colleague.pk}/reset-password/" in page
    response = client.post(f"/settings/users/{colleague.pk}/reset-password/", follow=True)
    assert "A password reset link was sent to" in response.content.decode()


def test_a_disabled_account_is_refused_with_the_reason():
    admin = member()
    colleague = member(admin.organization, sales_agent=True)
    colleague.user.is_active = False
    colleague.user.save()
    with pytest.raises(ValidationError) as exc:
        member_password_reset(**acting(admin), membership_id=colleague.pk)
    assert "disabled" in exc.value.messages[0]
