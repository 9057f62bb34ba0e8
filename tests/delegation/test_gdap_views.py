"""GDAP pages: the partner's request form and list, the customer's answer from the email link
and from Partner relationships, either side's End, and what others get."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from delegation.models import GdapRelationship
from portal.models import AuditEvent, DelegatedRole, Membership
from tests.factories import member
from tests.queries import queries_of
from tests.relationships.factories import CustomerRelationshipFactory, provider_org

from .gdap_factories import gdap_setup

pytestmark = pytest.mark.django_db
Status = GdapRelationship.Status
USERS = [DelegatedRole.USER_ADMINISTRATOR]


def client_of(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def answer_path(relationship: GdapRelationship) -> str:
    return f"/partner-relationships/gdap/{relationship.key}/"


def test_customer_page_links_to_the_request_form_for_admin_agents():
    g = gdap_setup()
    page = client_of(g.agent).get(f"/customers/{g.customer.pk}/").content.decode()
    assert f"/customers/{g.customer.pk}/gdap/new/" in page
    sales = client_of(member(g.provider, sales_agent=True)).get(f"/customers/{g.customer.pk}/")
    assert "/gdap/new/" not in sales.content.decode()


def test_the_partner_requests_roles_from_the_form():
    g = gdap_setup()
    path = f"/customers/{g.customer.pk}/gdap/new/"
    page = client_of(g.agent).get(path)
    assert page.status_code == 200
    content = page.content.decode()
    assert "<legend" in content and "Helpdesk administrator" in content
    assert "resets the passwords of those who are not Global admins" in content
    response = client_of(g.agent).post(
        path,
        {
            "name": "Helpdesk 2027",
            "roles": ["helpdesk_administrator", "license_administrator"],
            "duration_days": "120",
            "auto_extend": "on",
        },
    )
    assert response.status_code == 302
    relationship = GdapRelationship.objects.get()
    assert relationship.roles == ["helpdesk_administrator", "license_administrator"]
    assert relationship.duration_days == 120 and relationship.auto_extend
    listed = client_of(g.agent).get(path).content.decode()
    assert "Helpdesk 2027" in listed and "Waiting for approval" in listed


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "X", "duration_days": "30"}, "This field is required."),
        ({"name": "X", "roles": ["user_administrator"], "duration_days": "731"}, "730"),
        ({"name": "X", "roles": ["user_administrator"], "duration_days": "0"}, "1"),
    ],
)
def test_the_form_says_what_is_wrong(data, error):
    g = gdap_setup()
    response = client_of(g.agent).post(f"/customers/{g.customer.pk}/gdap/new/", data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not GdapRelationship.objects.exists()


def test_request_form_refuses_others():
    g = gdap_setup()
    path = f"/customers/{g.customer.pk}/gdap/new/"
    assert client_of(member(g.provider, sales_agent=True)).get(path).status_code == 403
    stranger = client_of(member(provider_org()))
    assert stranger.get(path).status_code == 404
    assert (
        stranger.post(path, {"name": "X", "roles": USERS, "duration_days": "9"}).status_code == 404
    )
    assert client_of(g.customer_admin).get(path).status_code == 404
    assert not GdapRelationship.objects.exists()


def test_the_partner_ends_its_roles_from_the_list():
    g = gdap_setup()
    relationship = g.approved(USERS)
    client = client_of(g.agent)
    page = client.get(f"/customers/{g.customer.pk}/gdap/new/").content.decode()
    assert f"/customers/{g.customer.pk}/gdap/{relationship.pk}/end/" in page
    response = client.post(
        f"/customers/{g.customer.pk}/gdap/{relationship.pk}/end/", {"confirmed": "yes"}
    )
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == Status.ENDED


def test_the_email_link_shows_the_request_to_the_customers_global_admin():
    g = gdap_setup()
    relationship = g.request(
        [DelegatedRole.HELPDESK_ADMINISTRATOR, DelegatedRole.BILLING_READER], duration_days=45
    )
    response = client_of(g.customer_admin).get(answer_path(relationship))
    content = response.content.decode()
    assert response.status_code == 200
    assert g.provider.legal_name in content
    assert "Helpdesk administrator" in content and "Billing reader" in content
    assert "subscriptions and billing, without changing anything" in content
    assert "45 days" in content
    assert relationship.status == Status.PENDING  # GET changes nothing


def test_declining_from_the_email_link():
    g = gdap_setup()
    relationship = g.request(USERS)
    response = client_of(g.customer_admin).post(
        answer_path(relationship), {"action": "decline", "confirmed": "yes"}
    )
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == Status.DECLINED


def test_a_signed_out_visitor_signs_in_and_comes_back():
    g = gdap_setup()
    relationship = g.request(USERS)
    response = Client().get(answer_path(relationship))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert relationship.key in response["Location"]


@pytest.mark.parametrize("who", ["partner", "customer_member", "other_customer", "ghost"])
def test_anyone_else_gets_the_unknown_link_page(who):
    g = gdap_setup()
    relationship = g.request(USERS)
    other = gdap_setup()
    membership = {
        "partner": g.agent,
        "customer_member": member(g.customer, billing_admin=True),
        "other_customer": other.customer_admin,
        "ghost": g.customer_admin,
    }[who]
    path = answer_path(relationship) if who != "ghost" else "/partner-relationships/gdap/nope/"
    client = client_of(membership)
    for response in (client.get(path), client.post(path, {"action": "approve"})):
        assert response.status_code == 404
        content = response.content.decode()
        assert "This link is not valid" in content
        assert "Support 2027" not in content and "asks for admin roles" not in content
    relationship.refresh_from_db()
    assert relationship.status == Status.PENDING


def test_an_answered_request_says_so():
    g = gdap_setup()
    relationship = g.approved(USERS)
    client = client_of(g.customer_admin)
    response = client.get(answer_path(relationship))
    assert response.status_code == 410
    assert "already answered: active" in response.content.decode()
    response = client.post(answer_path(relationship), {"action": "decline"})
    assert response.status_code == 410
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE


def test_an_expired_request_says_so():
    g = gdap_setup()
    relationship = g.request(USERS)
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        response = client_of(g.customer_admin).post(
            answer_path(relationship), {"action": "approve"}
        )
    assert response.status_code == 410
    assert "expired unanswered" in response.content.decode()
    relationship.refresh_from_db()
    assert relationship.status == Status.PENDING


def test_the_partner_relationships_section_lists_and_answers():
    g = gdap_setup()
    pending = g.request(USERS, name="Pending one")
    active = g.approved([DelegatedRole.BILLING_READER], name="Active one", auto_extend=True)
    client = client_of(g.customer_admin)
    page = client.get("/partner-relationships/").content.decode()
    assert "Pending one" in page and "Active one" in page
    assert f"/partner-relationships/gdap/{pending.pk}/approve/" in page
    assert f"/partner-relationships/gdap/{active.pk}/end/" in page
    assert client.post(f"/partner-relationships/gdap/{pending.pk}/approve/").status_code == 302
    assert (
        client.post(
            f"/partner-relationships/gdap/{active.pk}/end/", {"confirmed": "yes"}
        ).status_code
        == 302
    )
    pending.refresh_from_db()
    active.refresh_from_db()
    assert pending.status == Status.ACTIVE and active.status == Status.ENDED
    assert AuditEvent.objects.filter(
        type="delegation.gdap.ended", organization=g.provider, actor=g.customer_admin.user
    ).exists()


def test_customer_actions_refuse_others():
    g = gdap_setup()
    relationship = g.request(USERS)
    path = f"/partner-relationships/gdap/{relationship.pk}/approve/"
    assert client_of(member(g.customer, billing_admin=True)).post(path).status_code == 403
    assert client_of(gdap_setup().customer_admin).post(path).status_code == 404
    assert client_of(g.agent).post(path).status_code == 404
    assert (
        client_of(g.customer_admin)
        .post(f"/partner-relationships/gdap/{relationship.pk}/nonsense/")
        .status_code
        == 404
    )
    relationship.refresh_from_db()
    assert relationship.status == Status.PENDING


def test_the_section_costs_the_same_with_1_and_3_requests():
    """The same queries with 1 request to answer as with 3, and every request is listed with
    its name and the link to answer it."""
    g = gdap_setup()
    client = client_of(g.customer_admin)
    requests = [g.request(USERS)]
    one, text = queries_of(client, "/partner-relationships/")
    assert text.count(answer_path(requests[0])) >= 1
    requests += [g.request(USERS, name=f"R{n}") for n in range(2)]
    three, text = queries_of(client, "/partner-relationships/")
    for relationship in requests:
        assert answer_path(relationship) in text, relationship.name
        assert relationship.name in text
    assert three == one <= 12, (one, three)


def test_the_end_url_names_the_relationships_own_customer():
    g = gdap_setup()
    relationship = g.approved(USERS)
    second = CustomerRelationshipFactory(relationship__provider=g.provider)
    second_customer = second.customer
    wrong = f"/customers/{second_customer.pk}/gdap/{relationship.pk}/end/"
    assert client_of(g.agent).post(wrong).status_code == 404
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE


def test_the_partners_list_costs_the_same_with_1_and_3_requests():
    g = gdap_setup()
    client = client_of(g.agent)
    path = f"/customers/{g.customer.pk}/gdap/new/"
    g.request(USERS)
    one, text = queries_of(client, path)
    assert "Support 2027" in text
    for n in range(2):
        g.request(USERS, name=f"R{n}")
    three, text = queries_of(client, path)
    assert "Support 2027" in text and "R0" in text and "R1" in text
    assert three == one <= 20, (one, three)
