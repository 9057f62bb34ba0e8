"""Acceptance: a GDAP request approved from the email lets the provider's Admin agent do exactly
what the approved roles allow in the customer's account, and refuses the rest: one test per
role and per direction, through the policy table, the services and the pages (acting like
"Administer on behalf of": the session names the customer)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from delegation.models import GdapRelationship
from portal.delegation import ACTING_FOR_SESSION_KEY, delegated_membership
from portal.models import DelegatedRole, Membership, OutboxMessage
from portal.policy import RULES, Action, can, require_member
from tests.factories import member

from .gdap_factories import Gdap, gdap_setup

pytestmark = pytest.mark.django_db

ALLOWED: dict[str, set[Action]] = {
    DelegatedRole.USER_ADMINISTRATOR: {
        Action.VIEW_USERS,
        Action.MANAGE_USERS,
        Action.RESET_USER_PASSWORD,
    },
    DelegatedRole.HELPDESK_ADMINISTRATOR: {Action.VIEW_USERS, Action.RESET_USER_PASSWORD},
    DelegatedRole.LICENSE_ADMINISTRATOR: {
        Action.VIEW_SUBSCRIPTIONS,
        Action.CHANGE_SUBSCRIPTION_QUANTITY,
    },
    DelegatedRole.BILLING_READER: {Action.VIEW_SUBSCRIPTIONS, Action.VIEW_BILLING},
}
ROLES = list(ALLOWED)


def approved_from_the_email(g: Gdap, role: str) -> GdapRelationship:
    """The request's email link, opened by the customer's Global admin, who approves."""
    relationship = g.request([role])
    body = OutboxMessage.objects.get(
        template="delegation_gdap_request", to_email=g.customer_admin.user.email
    ).body_text
    path = re.search(r"https?://[^/\s]+(/partner-relationships/gdap/[^/\s]+/)", body).group(1)
    client = Client()
    client.force_login(g.customer_admin.user)
    assert client.get(path).status_code == 200
    assert client.post(path, {"action": "approve"}).status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == GdapRelationship.Status.ACTIVE
    return relationship


def acting_for(g: Gdap) -> Client:
    client = Client()
    client.force_login(g.agent.user)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = g.customer.pk
    session.save()
    return client


@pytest.fixture
def g() -> Gdap:
    return gdap_setup()


def test_the_policy_table_gives_each_gdap_role_exactly_its_actions():
    for role, allowed in ALLOWED.items():
        granted = {action for action, (_kinds, roles) in RULES.items() if role in roles}
        assert granted == allowed, role


@pytest.mark.parametrize("role", ROLES)
def test_each_role_allows_exactly_its_actions_and_refuses_every_other(g, role):
    approved_from_the_email(g, role)
    delegated = delegated_membership(g.agent.user, g.customer)
    assert delegated is not None and delegated.delegated_by == g.provider
    for action in Action:
        assert can(delegated, action) == (action in ALLOWED[role]), action
    for action in Action:
        if action in ALLOWED[role]:
            assert require_member(actor=g.agent.user, organization=g.customer, action=action)
        else:
            with pytest.raises(Exception, match=action.value):
                require_member(actor=g.agent.user, organization=g.customer, action=action)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_partners_admin_agents_and_global_admins_hold_the_roles(g, role):
    approved_from_the_email(g, role)
    assert delegated_membership(member(g.provider).user, g.customer) is not None
    for roles in ({"sales_agent": True}, {"helpdesk_agent": True}, {"billing_admin": True}):
        assert delegated_membership(member(g.provider, **roles).user, g.customer) is None
    assert delegated_membership(member(g.reseller).user, g.customer) is None  # not its grant
    other = gdap_setup()
    assert delegated_membership(g.agent.user, other.customer) is None


@pytest.mark.parametrize("role", ROLES)
def test_users_page(g, role):
    approved_from_the_email(g, role)
    response = acting_for(g).get("/settings/users/")
    if Action.VIEW_USERS in ALLOWED[role]:
        assert response.status_code == 200
        assert g.customer_admin.user.email in response.content.decode()
        assert (b"Add user" in response.content) == (Action.MANAGE_USERS in ALLOWED[role])
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_adding_a_user(g, role):
    approved_from_the_email(g, role)
    client = acting_for(g)
    email = f"new.person@{g.customer.primary_domain}"
    response = client.post(
        "/settings/users/add/",
        {"email": email, "first_name": "New", "last_name": "Person", "roles": ["helpdesk_agent"]},
    )
    added = Membership.objects.filter(organization=g.customer, user__email=email).exists()
    if Action.MANAGE_USERS in ALLOWED[role]:
        assert response.status_code == 302 and added
    else:
        assert response.status_code == 403 and not added


@pytest.mark.parametrize("role", ROLES)
def test_resetting_a_users_password(g, role):
    approved_from_the_email(g, role)
    colleague = member(g.customer, helpdesk_agent=True)
    response = acting_for(g).post(f"/settings/users/{colleague.pk}/reset-password/")
    sent = OutboxMessage.objects.filter(
        template="enrollment_password_reset", to_email=colleague.user.email
    ).exists()
    if Action.RESET_USER_PASSWORD in ALLOWED[role]:
        assert response.status_code == 302 and sent
    else:
        assert response.status_code == 403 and not sent


@pytest.mark.parametrize("role", ROLES)
def test_a_global_admins_password_is_never_reset_by_a_partner(g, role):
    approved_from_the_email(g, role)
    client = acting_for(g)
    response = client.post(f"/settings/users/{g.customer_admin.pk}/reset-password/", follow=True)
    assert not OutboxMessage.objects.filter(template="enrollment_password_reset").exists()
    if Action.RESET_USER_PASSWORD in ALLOWED[role]:
        assert "only a Global admin of" in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "action"),
    [("/subscriptions/", Action.VIEW_SUBSCRIPTIONS), ("/billing/", Action.VIEW_BILLING)],
)
def test_commerce_pages(g, role, path, action):
    """The page answers a role that allows it and refuses (403) one that does not: a missing
    page (404) fails both."""
    approved_from_the_email(g, role)
    response = acting_for(g).get(path)
    expected = 200 if action in ALLOWED[role] else 403
    assert response.status_code == expected, response.status_code


def test_the_roles_of_two_relationships_add_up(g):
    g.approved([DelegatedRole.HELPDESK_ADMINISTRATOR])
    g.approved([DelegatedRole.BILLING_READER], name="Billing")
    delegated = delegated_membership(g.agent.user, g.customer)
    assert delegated.delegated_roles == {"helpdesk_administrator", "billing_reader"}


def test_the_source_costs_one_query_whatever_the_number_of_relationships(
    g, django_assert_max_num_queries
):
    from delegation.gdap_selectors import gdap_access

    g.approved([DelegatedRole.HELPDESK_ADMINISTRATOR])
    with django_assert_max_num_queries(1):
        assert gdap_access(g.agent.user, g.customer) is not None
    for n in range(2):
        g.approved([DelegatedRole.BILLING_READER], name=f"R{n}")
    with django_assert_max_num_queries(1):
        assert gdap_access(g.agent.user, g.customer).roles == {
            "helpdesk_administrator",
            "billing_reader",
        }


def _subscription(g: Gdap):
    from relationships.models import CustomerRelationship
    from tests.commerce.factories import subscription_for

    shared = CustomerRelationship.objects.get(customer=g.customer, provider=g.provider)
    return subscription_for(shared, quantity=7)


@pytest.mark.parametrize("role", ROLES)
def test_the_subscription_page(g, role):
    subscription = _subscription(g)
    approved_from_the_email(g, role)
    response = acting_for(g).get(f"/subscriptions/{subscription.pk}/")
    if Action.VIEW_SUBSCRIPTIONS in ALLOWED[role]:
        assert response.status_code == 200
        assert subscription.offer.name in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_changing_a_subscriptions_quantity(g, role):
    from commerce.services import subscription_quantity_change

    subscription = _subscription(g)
    approved_from_the_email(g, role)
    response = acting_for(g).post(f"/subscriptions/{subscription.pk}/quantity/", {"quantity": "9"})
    subscription.refresh_from_db()
    if Action.CHANGE_SUBSCRIPTION_QUANTITY in ALLOWED[role]:
        assert response.status_code == 302 and subscription.quantity == 9
        subscription_quantity_change(
            actor=g.agent.user,
            organization=g.customer,
            subscription_id=subscription.pk,
            quantity=10,
        )
        subscription.refresh_from_db()
        assert subscription.quantity == 10
    else:
        assert response.status_code in (403, 404) and subscription.quantity == 7
        with pytest.raises(PermissionDenied):
            subscription_quantity_change(
                actor=g.agent.user,
                organization=g.customer,
                subscription_id=subscription.pk,
                quantity=10,
            )


@pytest.mark.parametrize("role", ROLES)
def test_no_gdap_role_cancels_or_turns_off_auto_renew(g, role):
    from commerce.services import subscription_auto_renew_set, subscription_cancel

    subscription = _subscription(g)
    approved_from_the_email(g, role)
    client = acting_for(g)
    cancel = f"/subscriptions/{subscription.pk}/cancel/"
    assert client.post(cancel, {"confirmed": "yes"}).status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        subscription_cancel(
            actor=g.agent.user, organization=g.customer, subscription_id=subscription.pk
        )
    with pytest.raises(PermissionDenied):
        subscription_auto_renew_set(
            actor=g.agent.user,
            organization=g.customer,
            subscription_id=subscription.pk,
            auto_renew=False,
        )
    subscription.refresh_from_db()
    assert subscription.status == "active" and subscription.auto_renew
