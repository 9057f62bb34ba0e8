"""Every irreversible action asks first, one way (portal/confirm.py): its GET is a page that
says what will happen, with "Yes, ..." as the form's one submit button and a link back that
changes nothing; a POST without the confirmation shows that page again and changes nothing;
only the confirmed POST acts (through the same service as before)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from commerce.models import Subscription
from delegation.models import AdminAccess, GdapRelationship
from portal.models import Membership
from relationships.models import InvitationStatus, ProviderRelationship
from tests.commerce.factories import subscription_for
from tests.delegation.factories import dap_world
from tests.delegation.gdap_factories import gdap_setup
from tests.factories import member
from tests.portal.test_default_buttons import multi_button_forms
from tests.relationships.factories import (
    CustomerInvitationFactory,
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    reseller_org,
)

pytestmark = pytest.mark.django_db
CONFIRMED = {"confirmed": "yes"}


@dataclass
class Case:
    client: Client
    url: str
    question: str  # the page's heading
    done: Callable[[], bool]  # whether the action happened
    extra: dict[str, str] | None = None  # what the page's form posts besides the confirmation


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def cancel_subscription() -> Case:
    shared = CustomerRelationshipFactory()
    subscription = subscription_for(shared)

    def done() -> bool:
        subscription.refresh_from_db()
        return subscription.status == Subscription.Status.CANCELLED

    return Case(
        signed_in(member(shared.reseller)),
        f"/subscriptions/{subscription.pk}/cancel/",
        f"Cancel Team Workspace Standard for {shared.customer.legal_name}?",
        done,
    )


def _invitation_done(invitation, status: str) -> Callable[[], bool]:
    def done() -> bool:
        invitation.refresh_from_db()
        return invitation.status == status

    return done


def _revoke_invitation(factory: Callable[[], Any], path: str) -> Case:
    invitation = factory()
    return Case(
        signed_in(member(invitation.organization)),
        f"/{path}/{invitation.pk}/revoke/",
        f"Revoke the invitation to {invitation.email}?",
        _invitation_done(invitation, InvitationStatus.REVOKED),
    )


def revoke_reseller_invitation() -> Case:
    return _revoke_invitation(ResellerInvitationFactory, "indirect-resellers/invitations")


def revoke_customer_invitation() -> Case:
    return _revoke_invitation(CustomerInvitationFactory, "indirect-providers/invite-customer")


def decline_from_the_inbox() -> Case:
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    return Case(
        signed_in(member(reseller)),
        f"/received-invitations/{invitation.pk}/decline/",
        f"Decline the invitation from {invitation.organization.legal_name}?",
        _invitation_done(invitation, InvitationStatus.DECLINED),
        extra={"back": "received"},
    )


def _relationship_case(side: str, action: str, question: str) -> Case:
    relationship = ProviderRelationshipFactory()

    def done() -> bool:
        relationship.refresh_from_db()
        if action == "remove-admin-access":
            return relationship.admin_access is False
        return relationship.status == ProviderRelationship.Status.ENDED

    org = relationship.provider if side == "indirect-resellers" else relationship.reseller
    return Case(
        signed_in(member(org)),
        f"/{side}/{relationship.pk}/{action}/",
        question.format(
            provider=relationship.provider.legal_name, reseller=relationship.reseller.legal_name
        ),
        done,
    )


def end_relationship() -> Case:
    return _relationship_case("indirect-providers", "end", "End the relationship with {provider}?")


def remove_providers_admin_access() -> Case:
    return _relationship_case(
        "indirect-providers", "remove-admin-access", "Remove the admin access of {provider}?"
    )


def remove_partnership() -> Case:
    return _relationship_case(
        "indirect-resellers", "end", "Remove the partnership with {reseller}?"
    )


def remove_admin_access_as_the_customer() -> Case:
    world = dap_world()
    access = AdminAccess.objects.filter(customer=world.customer).select_related("partner").first()
    assert access is not None

    def done() -> bool:
        access.refresh_from_db()
        return access.status != AdminAccess.Status.ACTIVE

    return Case(
        signed_in(world.customer_admin),
        f"/partner-relationships/admin-access/{access.pk}/remove/",
        f"Remove the admin access of {access.partner.legal_name} to {world.customer.legal_name}?",
        done,
    )


def remove_a_user() -> Case:
    admin = member(reseller_org())
    agent = member(admin.organization, global_admin=False, sales_agent=True)
    return Case(
        signed_in(admin),
        f"/settings/users/{agent.pk}/remove/",
        f"Remove {agent.user.get_full_name()}?",
        lambda: not Membership.objects.filter(pk=agent.pk).exists(),
    )


def _gdap_done(relationship: GdapRelationship, status: str) -> Callable[[], bool]:
    def done() -> bool:
        relationship.refresh_from_db()
        return relationship.status == status

    return done


def _gdap_case(
    *,
    approved: bool,
    as_partner: bool,
    action: str,
    question: str,
    status: str,
    extra: dict[str, str] | None = None,
) -> Case:
    g = gdap_setup()
    relationship = (g.approved if approved else g.request)(["user_administrator"])
    if as_partner:
        who, prefix = g.agent, f"/customers/{g.customer.pk}/gdap"
    else:
        who, prefix = g.customer_admin, "/partner-relationships/gdap"
    return Case(
        signed_in(who),
        f"{prefix}/{relationship.pk}/{action}/",
        question.format(customer=g.customer.legal_name, provider=g.provider.legal_name),
        _gdap_done(relationship, status),
        extra=extra,
    )


def partner_ends_gdap() -> Case:
    return _gdap_case(
        approved=True,
        as_partner=True,
        action="end",
        question="End the admin roles “Support 2027” in {customer}?",
        status=GdapRelationship.Status.ENDED,
    )


def customer_ends_gdap() -> Case:
    return _gdap_case(
        approved=True,
        as_partner=False,
        action="end",
        question="End the admin roles “Support 2027” of {provider}?",
        status=GdapRelationship.Status.ENDED,
    )


def customer_declines_gdap() -> Case:
    return _gdap_case(
        approved=False,
        as_partner=False,
        action="decline",
        question="Decline the request “Support 2027” of {provider}?",
        status=GdapRelationship.Status.DECLINED,
        extra={"action": "decline"},
    )


CASES = [
    cancel_subscription,
    revoke_reseller_invitation,
    revoke_customer_invitation,
    decline_from_the_inbox,
    end_relationship,
    remove_providers_admin_access,
    remove_partnership,
    remove_admin_access_as_the_customer,
    remove_a_user,
    partner_ends_gdap,
    customer_ends_gdap,
    customer_declines_gdap,
]


def assert_asks(html: str, question: str) -> None:
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert heading and heading.group(1).strip() == question, heading and heading.group(1)
    forms = [f for f in re.findall(r"<form\b.*?</form>", html, re.S) if 'name="confirmed"' in f]
    assert len(forms) == 1, "no confirm form on the page"
    submits = re.findall(r"<button[^>]*type=\"submit\"[^>]*>(.*?)</button>", forms[0])
    assert len(submits) == 1 and submits[0].startswith("Yes, "), submits
    assert 'name="confirmed" value="yes"' in forms[0]
    assert re.search(r'<a class="btn btn-outline-dark" href="/[^"]*">Keep', forms[0])
    assert not multi_button_forms(html)


@pytest.mark.parametrize("make", CASES, ids=lambda make: make.__name__)
def test_an_irreversible_action_asks_first_and_acts_only_when_confirmed(make):
    case = make()
    page = case.client.get(case.url)
    assert page.status_code == 200
    assert_asks(page.content.decode(), case.question)
    assert not case.done()

    # A POST without the confirmation (an old form, a script) asks again and changes nothing.
    unconfirmed = case.client.post(case.url, case.extra or {})
    assert unconfirmed.status_code == 200
    assert_asks(unconfirmed.content.decode(), case.question)
    assert not case.done()

    response = case.client.post(case.url, {**(case.extra or {}), **CONFIRMED})
    assert response.status_code == 302
    assert case.done()


def test_declining_from_the_invitation_link_asks_first():
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    client = signed_in(member(reseller))
    url = f"/invitations/{invitation.key}/"
    asked = client.post(url, {"action": "decline"}).content.decode()
    assert_asks(asked, f"Decline the invitation from {invitation.organization.legal_name}?")
    assert 'name="action" value="decline"' in asked
    assert _invitation_done(invitation, InvitationStatus.PENDING)()
    assert client.post(url, {"action": "decline", **CONFIRMED}).status_code == 302
    assert _invitation_done(invitation, InvitationStatus.DECLINED)()


def test_declining_from_the_gdap_email_link_asks_first():
    g = gdap_setup()
    relationship = g.request(["user_administrator"])
    client = signed_in(g.customer_admin)
    url = f"/partner-relationships/gdap/{relationship.key}/"
    asked = client.post(url, {"action": "decline"}).content.decode()
    assert_asks(asked, f"Decline the request “Support 2027” of {g.provider.legal_name}?")
    assert _gdap_done(relationship, GdapRelationship.Status.PENDING)()
    assert client.post(url, {"action": "decline", **CONFIRMED}).status_code == 302
    assert _gdap_done(relationship, GdapRelationship.Status.DECLINED)()


def test_the_list_buttons_lead_to_the_confirm_pages():
    """The buttons that used to act at once are links to the question (they work without
    JavaScript, and a link scanner's GET changes nothing)."""
    shared = CustomerRelationshipFactory()
    subscription = subscription_for(shared)
    detail = signed_in(member(shared.provider)).get(f"/subscriptions/{subscription.pk}/")
    assert f'href="/subscriptions/{subscription.pk}/cancel/"' in detail.content.decode()
    invitation = ResellerInvitationFactory()
    page = signed_in(member(invitation.organization)).get("/indirect-resellers/")
    assert f'href="/indirect-resellers/invitations/{invitation.pk}/revoke/"' in page.text
