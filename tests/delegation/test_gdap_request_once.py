"""A GDAP request form is sent once: sending it again shows the request it made instead of a
second request to the customer's Global admins (portal/form_tokens.py)."""

from __future__ import annotations

import pytest

from delegation.models import GdapRelationship
from portal.models import OutboxMessage
from tests.factories import member
from tests.form_tokens import followed_message, token_in

from .gdap_factories import gdap_setup

pytestmark = pytest.mark.django_db


def _request(client, path: str, token: str):
    return client.post(
        path,
        {
            "name": "Helpdesk 2027",
            "roles": ["helpdesk_administrator"],
            "duration_days": "120",
            "form_token": token,
        },
    )


def test_the_same_request_form_sent_twice_sends_one_request(client_for):
    g = gdap_setup()
    client = client_for(g.agent)
    path = f"/customers/{g.customer.pk}/gdap/new/"
    token = token_in(client.get(path).text)
    emails_before = OutboxMessage.objects.count()
    assert _request(client, path, token)["Location"] == path
    sent = OutboxMessage.objects.count() - emails_before
    again = _request(client, path, token)
    assert again["Location"] == path
    page = followed_message(client, again)
    assert "This request was already sent; it is listed on this page." in page
    assert "Helpdesk 2027" in page
    assert GdapRelationship.objects.count() == 1
    assert OutboxMessage.objects.count() - emails_before == sent


def test_a_colleagues_copy_of_the_token_is_a_request_of_their_own(client_for):
    g = gdap_setup()
    path = f"/customers/{g.customer.pk}/gdap/new/"
    token = token_in(client_for(g.agent).get(path).text)
    _request(client_for(g.agent), path, token)
    colleague = client_for(member(g.provider, admin_agent=True))
    response = _request(colleague, path, token)
    assert "already sent" not in followed_message(colleague, response)
    assert GdapRelationship.objects.count() == 2
