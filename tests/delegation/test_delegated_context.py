"""The delegated context is a point in time and a session of its own: a write re-checks its
access inside its transaction, a form sent from a customer's account whose access ended is
refused (never made in the partner's own name), entering and leaving give the session a new
key, and 30 minutes without activity leave the customer's account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commerce.models import Subscription
from commerce.services import subscription_quantity_change
from delegation import selectors as delegation_selectors
from delegation.models import AdminAccess
from delegation.services.dap import admin_access_remove
from enrollment.events import AuditType as EnrollmentAuditType
from portal import policy
from portal.delegation import ACTING_FOR_SESSION_KEY, ACTING_SEEN_SESSION_KEY
from portal.models import AuditEvent, Membership
from relationships.models import ProviderRelationship
from relationships.services.provider_relationships import relationship_admin_access_remove
from tests.commerce.factories import subscription_for
from tests.delegation.factories import dap_world
from tests.factories import acting, member

pytestmark = pytest.mark.django_db

USERS = reverse("account_settings:users")
USER_ADD = reverse("account_settings:user_add")


def _administer(client: Client, customer) -> None:
    response = client.post(reverse("delegation:administer", args=[customer.pk]))
    assert response.status_code == 302


def _remove_providers_access(world) -> None:
    access = AdminAccess.objects.get(
        customer=world.customer, partner=world.provider, status=AdminAccess.Status.ACTIVE
    )
    admin_access_remove(**acting(world.customer_admin), access_id=access.pk)


def test_a_form_loaded_while_administering_and_sent_after_the_removal_records_nothing(client_for):
    world = dap_world(primary_domain="adatum-form.example")
    provider = client_for(world.provider_agent)
    _administer(provider, world.customer)
    assert provider.get(USER_ADD).status_code == 200  # the form, in the customer's account
    _remove_providers_access(world)

    response = provider.post(
        USER_ADD,
        {
            "email": "new.person@adatum-form.example",
            "first_name": "Nuova",
            "last_name": "Persona",
            "roles": ["sales_agent"],
        },
        follow=True,
    )

    body = response.content.decode()
    assert f"Your admin access to {world.customer.legal_name} ended. Nothing was saved." in body
    assert "Done" not in body and "was added" not in body
    assert response.context["current_organization"] == world.provider
    assert ACTING_FOR_SESSION_KEY not in provider.session
    assert not Membership.objects.filter(user__email="new.person@adatum-form.example").exists()
    assert not AuditEvent.objects.filter(type=EnrollmentAuditType.MEMBERSHIP_ADDED).exists()


def test_a_delegated_write_checks_its_access_again_inside_its_transaction(monkeypatch):
    """The access is removed after the request resolved the delegated membership but before
    the write's transaction locks it: the write is refused with the reason."""
    world = dap_world()
    subscription = subscription_for(world.shared, quantity=3)
    resolve = policy.membership_of

    def resolve_then_remove(*args, **kwargs):
        membership = resolve(*args, **kwargs)
        if membership is not None and membership.is_delegated:
            _remove_providers_access(world)
        return membership

    monkeypatch.setattr(policy, "membership_of", resolve_then_remove)
    with pytest.raises(PermissionDenied) as refused:
        subscription_quantity_change(
            actor=world.provider_agent.user,
            organization=world.customer,
            subscription_id=subscription.pk,
            quantity=4,
        )
    assert str(refused.value) == f"Your admin access to {world.customer.legal_name} ended."
    assert Subscription.objects.get(pk=subscription.pk).quantity == 3


def _switch_off_providers_access(world) -> None:
    """The reseller's "Remove admin access" on its provider relationship."""
    relationship = ProviderRelationship.objects.get(
        provider=world.provider, reseller=world.reseller
    )
    relationship_admin_access_remove(
        **acting(member(world.reseller)), relationship_id=relationship.pk
    )


def _change_quantity(world, subscription) -> None:
    subscription_quantity_change(
        actor=world.provider_agent.user,
        organization=world.customer,
        subscription_id=subscription.pk,
        quantity=4,
    )


def test_a_delegated_write_locks_the_provider_relationship_its_dap_relies_on(monkeypatch):
    world = dap_world()
    subscription = subscription_for(world.shared, quantity=3)
    lock = delegation_selectors.lock_for_share
    locked: list[tuple[type, list]] = []

    def spy(queryset):
        held = lock(queryset)
        locked.append((queryset.model, held))
        return held

    monkeypatch.setattr(delegation_selectors, "lock_for_share", spy)
    _change_quantity(world, subscription)
    relationship = ProviderRelationship.objects.get(
        provider=world.provider, reseller=world.reseller
    )
    assert (ProviderRelationship, [relationship.pk]) in locked
    assert Subscription.objects.get(pk=subscription.pk).quantity == 4


def test_a_delegated_write_checks_the_provider_relationship_again_inside_its_transaction(
    monkeypatch,
):
    """The reseller switches the provider's admin access off after the request resolved the
    delegated membership but before the write's transaction locks the provider relationship:
    the write is refused with the reason."""
    world = dap_world()
    subscription = subscription_for(world.shared, quantity=3)
    lock = delegation_selectors.lock_for_share

    def switch_off_then_lock(queryset):
        if queryset.model is ProviderRelationship:
            _switch_off_providers_access(world)
        return lock(queryset)

    monkeypatch.setattr(delegation_selectors, "lock_for_share", switch_off_then_lock)
    with pytest.raises(PermissionDenied) as refused:
        _change_quantity(world, subscription)
    assert str(refused.value) == f"Your admin access to {world.customer.legal_name} ended."
    assert Subscription.objects.get(pk=subscription.pk).quantity == 3
    # (Run here on the write's own connection, the switch-off rolls back with the refused
    # write; on PostgreSQL it is another transaction, which the write's FOR SHARE waits for.)


def test_a_switch_off_between_the_check_and_the_write_refuses_the_write(monkeypatch):
    world = dap_world()
    subscription = subscription_for(world.shared, quantity=3)
    resolve = policy.membership_of

    def resolve_then_switch_off(*args, **kwargs):
        membership = resolve(*args, **kwargs)
        if membership is not None and membership.is_delegated:
            _switch_off_providers_access(world)
        return membership

    monkeypatch.setattr(policy, "membership_of", resolve_then_switch_off)
    with pytest.raises(PermissionDenied) as refused:
        _change_quantity(world, subscription)
    assert str(refused.value) == f"Your admin access to {world.customer.legal_name} ended."
    assert Subscription.objects.get(pk=subscription.pk).quantity == 3


def test_entering_and_leaving_give_the_session_a_new_key(client_for):
    world = dap_world()
    client = client_for(world.provider_agent)
    before = client.session.session_key
    _administer(client, world.customer)
    entered = client.session.session_key
    assert entered != before
    assert client.session[ACTING_FOR_SESSION_KEY] == world.customer.pk
    client.post(reverse("portal:leave_delegation"))
    assert client.session.session_key not in (before, entered)
    assert ACTING_FOR_SESSION_KEY not in client.session
    assert client.get(reverse("portal:dashboard")).status_code == 200  # still signed in


def test_a_cookie_captured_before_entering_does_not_open_the_customers_users(client_for):
    world = dap_world()
    client = client_for(world.provider_agent)
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    _administer(client, world.customer)
    assert client.get(USERS).status_code == 200

    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = old
    response = thief.get(USERS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_banner_says_when_the_delegated_context_ends(client_for):
    world = dap_world()
    client = client_for(world.provider_agent)
    _administer(client, world.customer)
    body = client.get(USERS).content.decode()
    assert "Ends after 30 minutes without activity." in body


def test_thirty_minutes_idle_leave_the_customers_account(client_for):
    world = dap_world()
    client = client_for(world.provider_agent)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _administer(client, world.customer)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        page = client.get(USERS)  # activity: the 30 minutes count again from here
        assert page.context["current_organization"] == world.customer
        entered = client.session.session_key
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get(USERS).context["current_organization"] == world.customer
    with time_machine.travel(start + timedelta(minutes=88), tick=False):
        page = client.get(USERS, follow=True)
    body = page.content.decode()
    assert (
        f"You left the account of {world.customer.legal_name} after 30 minutes without activity."
        in body
    )
    assert page.context["current_organization"] == world.provider
    assert "delegation-banner" not in body
    assert ACTING_FOR_SESSION_KEY not in client.session
    assert client.session.session_key != entered


def test_a_form_sent_after_the_idle_end_is_refused(client_for):
    world = dap_world(primary_domain="adatum-idle.example")
    client = client_for(world.provider_agent)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _administer(client, world.customer)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.post(
            USER_ADD,
            {
                "email": "late@adatum-idle.example",
                "first_name": "Late",
                "last_name": "Person",
                "roles": ["sales_agent"],
            },
            follow=True,
        )
    assert "after 30 minutes without activity. Nothing was saved." in response.content.decode()
    assert not Membership.objects.filter(user__email="late@adatum-idle.example").exists()


def test_a_page_in_the_customers_account_saves_the_session_at_most_once_a_minute(client_for):
    world = dap_world(primary_domain="adatum-seen.example")
    client = client_for(world.provider_agent)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _administer(client, world.customer)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        page = client.get(USERS)
        assert page.context["current_organization"] == world.customer
        assert settings.SESSION_COOKIE_NAME not in page.cookies  # nothing to save
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        page = client.get(USERS)
        assert settings.SESSION_COOKIE_NAME in page.cookies  # the time of this request, saved
        assert client.session[ACTING_SEEN_SESSION_KEY] == pytest.approx(
            (start + timedelta(minutes=2)).timestamp()
        )
