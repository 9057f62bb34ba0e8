"""The Add user form adds once: sending it again shows the users instead of "already a user of
your organization" (portal/form_tokens.py)."""

from __future__ import annotations

import pytest

from portal.models import Membership, OutboxMessage
from tests.form_tokens import followed_message, token_in

pytestmark = pytest.mark.django_db

ADD = "/settings/users/add/"


def test_the_same_add_user_form_sent_twice_adds_and_emails_once(client_for, reseller_admin):
    client = client_for(reseller_admin)
    token = token_in(client.get(ADD).text)
    email = f"marco.neri@{reseller_admin.organization.primary_domain}"
    data = {
        "email": email,
        "first_name": "Marco",
        "last_name": "Neri",
        "roles": ["admin_agent"],
        "form_token": token,
    }
    assert client.post(ADD, data)["Location"] == "/settings/users/"
    again = client.post(ADD, data)
    assert again["Location"] == "/settings/users/"
    page = followed_message(client, again)
    assert "This user was already added; here is the list of users." in page
    assert "already a user of your organization" not in page
    assert Membership.objects.filter(user__email=email).count() == 1
    assert OutboxMessage.objects.filter(to_email=email).count() == 1
