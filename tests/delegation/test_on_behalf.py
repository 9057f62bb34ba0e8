"""Administer on behalf of a customer, end to end through the test client: the button, the
banner, what the delegated agent may do (and how the customer's log names it), leaving, and the
acceptance: the reseller removes its provider's access and the provider's next request is
refused, both audit logs showing it."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from delegation.events import AuditType
from delegation.models import AdminAccess
from enrollment.events import AuditType as EnrollmentAuditType
from portal.delegation import ACTING_FOR_SESSION_KEY
from portal.models import AuditEvent, Membership
from tests.delegation.factories import dap_world
from tests.factories import member

pytestmark = pytest.mark.django_db

USERS = reverse("account_settings:users")


def _administer(client, customer) -> object:
    return client.post(reverse("delegation:administer", args=[customer.pk]))


def test_customer_page_offers_administer_and_lists_admin_access(client_for):
    world = dap_world()
    page = client_for(world.provider_agent).get(
        reverse("relationships:customer_detail", args=[world.customer.pk])
    )
    body = page.content.decode()
    assert f"Administer on behalf of {world.customer.legal_name}" in body
    assert reverse("delegation:administer", args=[world.customer.pk]) in body
    assert "Delegated admin access" in body


def test_admin_agent_administers_the_customer_with_a_banner_and_the_allowed_nav(client_for):
    world = dap_world()
    client = client_for(world.provider_agent)
    response = _administer(client, world.customer)
    assert response.status_code == 302 and response["Location"] == USERS
    assert client.session[ACTING_FOR_SESSION_KEY] == world.customer.pk
    page = client.get(USERS)
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        f"You are administering <strong>{world.customer.legal_name}</strong> on behalf of "
        f"<strong>{world.provider.legal_name}</strong> (delegated)."
    ) in body
    assert 'role="region" aria-label="Delegated administration"' in body
    assert "Leave customer&#x27;s account" in body or "Leave customer's account" in body
    # The customer's users, not the provider's.
    assert world.customer_admin.user.email in body
    assert 'href="/partner-relationships/"' not in body  # the customer's Global admin's only
    assert 'href="/audit-log/"' not in body
    started = AuditEvent.objects.get(
        type=AuditType.ADMINISTRATION_STARTED, organization=world.customer
    )
    assert started.actor_organization == world.provider


def test_home_and_dashboard_land_on_an_allowed_page_while_administering(client_for):
    world = dap_world()
    client = client_for(world.provider_agent)
    _administer(client, world.customer)
    # The first entry of the left navigation the delegated roles allow (not the dashboard,
    # which they do not): the customer's subscriptions.
    first = reverse("commerce:subscriptions")
    assert client.get("/")["Location"] == first
    assert client.get(reverse("portal:dashboard"))["Location"] == first
    assert client.get(first).status_code == 200


def test_leaving_returns_to_the_partners_dashboard(client_for):
    world = dap_world()
    client = client_for(world.provider_agent)
    _administer(client, world.customer)
    response = client.post(reverse("portal:leave_delegation"))
    assert response["Location"] == reverse("portal:dashboard")
    assert ACTING_FOR_SESSION_KEY not in client.session
    page = client.get(reverse("portal:dashboard"))
    assert page.status_code == 200
    assert "delegation-banner" not in page.content.decode()
    assert page.context["current_organization"] == world.provider


def test_leave_is_post_only(client_for):
    world = dap_world()
    assert (
        client_for(world.provider_agent).get(reverse("portal:leave_delegation")).status_code == 405
    )


def test_a_user_invited_while_administering_is_audited_as_the_partner_delegated(client_for):
    world = dap_world(primary_domain="adatum-test.example")
    client = client_for(world.provider_agent)
    _administer(client, world.customer)
    response = client.post(
        reverse("account_settings:user_add"),
        {
            "email": "new.person@adatum-test.example",
            "first_name": "Nuova",
            "last_name": "Persona",
            "roles": ["sales_agent"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.filter(
        organization=world.customer, user__email="new.person@adatum-test.example"
    ).exists()
    event = AuditEvent.objects.get(
        type=EnrollmentAuditType.MEMBERSHIP_ADDED, organization=world.customer
    )
    assert event.actor == world.provider_agent.user
    assert event.actor_organization == world.provider
    assert event.delegated is True
    # The provider's log keeps a copy of what its agent did in the customer's account.
    assert AuditEvent.objects.filter(
        type=EnrollmentAuditType.MEMBERSHIP_ADDED, organization=world.provider, delegated=True
    ).exists()

    customer_admin = client_for(world.customer_admin)
    log = customer_admin.get(reverse("portal:audit_log")).content.decode()
    assert world.provider_agent.user.get_full_name() in log
    assert f", {world.provider.legal_name}" in log
    assert "(delegated)" in log
    assert "On behalf of:" not in log  # the customer's own log: "(delegated)" says it
    provider_log = client_for(world.provider_admin).get(reverse("portal:audit_log"))
    assert f"On behalf of: {world.customer.legal_name}" in provider_log.content.decode()
    export = customer_admin.get(reverse("portal:audit_log") + "?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    header = rows[0]
    added = next(r for r in rows[1:] if r[header.index("Event code")] == event.type)
    assert added[header.index("Acting for")] == world.provider.legal_name
    assert added[header.index("Delegated")] == "Yes"


def test_a_sales_agent_of_the_provider_cannot_administer(client_for):
    world = dap_world()
    client = client_for(world.provider_sales)
    assert _administer(client, world.customer).status_code == 403
    assert ACTING_FOR_SESSION_KEY not in client.session


def test_a_provider_without_access_is_refused_with_the_reason(client_for):
    world = dap_world()
    AdminAccess.objects.filter(customer=world.customer, partner=world.provider).delete()
    client = client_for(world.provider_agent)
    response = _administer(client, world.customer)
    assert response.status_code == 403
    assert "holds no delegated admin access" in response.content.decode()
    assert ACTING_FOR_SESSION_KEY not in client.session


def test_another_tenants_customer_is_not_found(client_for):
    world = dap_world()
    other = dap_world()
    client = client_for(other.provider_agent)
    assert _administer(client, world.customer).status_code == 404
    remove = reverse(
        "delegation:customer_admin_access_remove",
        args=[world.customer.pk, AdminAccess.objects.filter(customer=world.customer).first().pk],
    )
    assert client_for(other.reseller_agent).post(remove, {"confirmed": "yes"}).status_code == 404


def test_reseller_removes_providers_access_and_the_providers_next_request_is_refused(client_for):
    world = dap_world()
    provider = client_for(world.provider_agent)
    _administer(provider, world.customer)
    assert provider.get(USERS).status_code == 200

    access = AdminAccess.objects.get(customer=world.customer, partner=world.provider)
    reseller = client_for(world.reseller_agent)
    detail = reseller.get(reverse("relationships:customer_detail", args=[world.customer.pk]))
    remove_url = reverse(
        "delegation:customer_admin_access_remove", args=[world.customer.pk, access.pk]
    )
    assert remove_url in detail.content.decode()
    confirm = reseller.get(remove_url)
    assert "Remove the admin access of" in confirm.content.decode()
    response = reseller.post(remove_url, {"confirmed": "yes"})
    assert response.status_code == 302

    # The provider's next request: the session's choice is dropped with a message.
    page = provider.get(USERS, follow=True)
    body = page.content.decode()
    assert f"Your admin access to {world.customer.legal_name} ended." in body
    assert ACTING_FOR_SESSION_KEY not in provider.session
    assert "delegation-banner" not in body
    assert page.context["current_organization"] == world.provider
    # Asking again is refused, with who removed it.
    again = _administer(provider, world.customer)
    assert again.status_code == 403
    assert f"{world.reseller.legal_name} removed the admin access" in again.content.decode()

    # Both audit logs show it.
    for org_admin in (member(world.reseller), world.provider_admin):
        log = client_for(org_admin).get(reverse("portal:audit_log")).content.decode()
        assert "Delegated admin access removed" in log


def test_customer_global_admin_removes_access_from_partner_relationships(client_for):
    world = dap_world()
    access = AdminAccess.objects.get(customer=world.customer, partner=world.provider)
    client = client_for(world.customer_admin)
    page = client.get(reverse("delegation:partner_relationships")).content.decode()
    url = reverse("delegation:admin_access_remove", args=[access.pk])
    assert url in page
    confirmed = {"confirmed": "yes"}
    assert client.post(url, confirmed)["Location"] == reverse("delegation:partner_relationships")
    access.refresh_from_db()
    assert access.status == AdminAccess.Status.REMOVED
    page = client.get(reverse("delegation:partner_relationships")).content.decode()
    assert f"removed by {world.customer.legal_name}" in page


def test_a_subscription_quantity_raised_while_administering_is_audited_delegated(client_for):
    from commerce.models import Subscription
    from tests.commerce.factories import subscription_for

    world = dap_world()
    subscription = subscription_for(world.shared, quantity=5)
    client = client_for(world.provider_agent)
    _administer(client, world.customer)
    page = client.get(reverse("commerce:subscription_detail", args=[subscription.pk]))
    assert page.status_code == 200
    assert "delegation-banner" in page.content.decode()
    response = client.post(
        reverse("commerce:subscription_action", args=[subscription.pk, "quantity"]),
        {"quantity": 9},
    )
    assert response.status_code in (200, 302)
    assert Subscription.objects.get(pk=subscription.pk).quantity == 9
    events = AuditEvent.objects.filter(organization=world.customer, delegated=True)
    assert events.exists()
    assert all(e.actor_organization == world.provider for e in events)
