"""Issue 20: a partner acting on a customer's behalf (DAP, or any GDAP role) makes no privileged
change there: it neither grants, removes nor changes a privileged role (`PRIVILEGED_ROLES`,
derived from the policy table), adds, removes or resets the password of a member holding one,
nor changes the customer's partner access. Generated from the table: every delegated role,
every privileged change, through the services and through the pages (acting like
"Administer on behalf of"), each refused with the reason and changing nothing; what a User
administrator may do to the other members still works."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from delegation.models import AdminAccess, GdapRelationship
from delegation.services.dap import admin_access_remove
from delegation.services.gdap import gdap_approve, gdap_decline, gdap_end, gdap_request
from enrollment.services import (
    member_add,
    member_password_reset,
    membership_remove,
    membership_roles_update,
)
from portal import delegation
from portal.delegation import ACTING_FOR_SESSION_KEY, DelegatedAccess, delegated_membership
from portal.models import AuditEvent, DelegatedRole, Membership, OutboxMessage, Role, User
from portal.policy import (
    PRIVILEGED_ACTIONS,
    PRIVILEGED_ROLES,
    RULES,
    Action,
    PrivilegedChangeRefused,
    can,
    privileged_change_refusal,
)
from relationships.services.customers import customer_invitation_accept
from tests.factories import acting, member
from tests.relationships.factories import CustomerInvitationFactory, ProviderRelationshipFactory

from .factories import World, dap_world
from .gdap_factories import gdap_setup

pytestmark = pytest.mark.django_db

ROLES_REASON = "cannot give or take away the roles"
ACCESS_REASON = "cannot change its partners"
PLAIN = Role.HELPDESK_AGENT.value  # a role that is not privileged
PRIVILEGED = sorted(PRIVILEGED_ROLES)
# The confirm page's button (portal/confirm.py): without it a removal or an end only asks.
CONFIRMED = {"confirmed": "yes"}


@dataclass
class Account:
    """A customer with two Global admins of its own, a Billing admin and a plain member, its
    partners' admin access (DAP) and GDAP roles (one pending, one active), and a partner's
    agent who acts in it with the roles of the test."""

    world: World
    admin: Membership  # the customer's Global admin
    second_admin: Membership  # another: demoting one is refused by the rule, not the last-admin
    billing: Membership
    plain: Membership
    access: AdminAccess  # the reseller's DAP
    pending: GdapRelationship
    active: GdapRelationship
    agent: Membership  # the partner's Admin agent
    invitation: Any  # another reseller's open invitation to the customer

    @property
    def customer(self):
        return self.world.customer

    def holder(self, role: str) -> Membership:
        """A member of the customer holding `role` (not the Global admin of the fixtures)."""
        return {Role.GLOBAL_ADMIN: self.second_admin, Role.BILLING_ADMIN: self.billing}[role]


def account(monkeypatch, roles: frozenset[str]) -> Account:
    w = dap_world()
    request = {"customer_id": w.customer.pk, "duration_days": 90, "auto_extend": False}
    pending = gdap_request(
        **acting(w.provider_agent), name="Pending", roles=["helpdesk_administrator"], **request
    )
    active = gdap_request(
        **acting(w.provider_agent), name="Active", roles=["billing_reader"], **request
    )
    active = gdap_approve(**acting(w.customer_admin), relationship_id=active.pk)
    agent = member(w.reseller, admin_agent=True)
    # Exactly the roles of the test, the way a delegation source grants them.
    monkeypatch.setattr(
        delegation,
        "_sources",
        [
            lambda user, org, lock=False: (
                DelegatedAccess(partner=w.reseller, roles=roles)
                if user.pk == agent.user_id and org.pk == w.customer.pk
                else None
            )
        ],
    )
    return Account(
        world=w,
        admin=w.customer_admin,
        second_admin=member(w.customer),
        billing=member(w.customer, billing_admin=True),
        plain=member(w.customer, helpdesk_agent=True),
        access=AdminAccess.objects.get(customer=w.customer, partner=w.reseller),
        pending=pending,
        active=active,
        agent=agent,
        invitation=CustomerInvitationFactory(
            relationship=ProviderRelationshipFactory(), invitee=w.customer
        ),
    )


def state(a: Account) -> tuple:
    """Everything a privileged change would touch, and the records it would leave."""
    return (
        sorted(
            (m.pk, m.user.email, m.user.is_active, m.user.password, tuple(sorted(m.roles)))
            for m in Membership.objects.filter(organization=a.customer).select_related("user")
        ),
        User.objects.count(),
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
        sorted(AdminAccess.objects.filter(customer=a.customer).values_list("pk", "status")),
        sorted(GdapRelationship.objects.filter(customer=a.customer).values_list("pk", "status")),
    )


def acting_for(a: Account) -> Client:
    client = Client()
    client.force_login(a.agent.user)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = a.customer.pk
    session.save()
    return client


@dataclass(frozen=True)
class Change:
    """A privileged change: the action the table asks first, the reason the rule gives, the
    service call and the page's request (None: the change has no page)."""

    name: str
    action: Action
    reason: str
    service: Callable[[Account, User], Any] | None
    page: Callable[[Account, Client], Any] | None


def _roles(target: Callable[[Account], Membership], roles: Callable[[Account], set[str]], name):
    return Change(
        name,
        Action.MANAGE_USERS,
        ROLES_REASON,
        lambda a, actor: membership_roles_update(actor=actor, membership=target(a), roles=roles(a)),
        lambda a, client: client.post(
            f"/settings/users/{target(a).pk}/", {"roles": sorted(roles(a))}, follow=True
        ),
    )


def _changes() -> list[Change]:
    changes: list[Change] = []
    for role in PRIVILEGED:
        changes += [
            _roles(lambda a: a.plain, lambda a, r=role: {PLAIN, r}, f"grant {role}"),
            _roles(
                lambda a, r=role: a.holder(r),
                lambda a, r=role: (a.holder(r).roles - {r}) or {PLAIN},
                f"take {role} away",
            ),
            Change(
                f"remove a {role}",
                Action.MANAGE_USERS,
                ROLES_REASON,
                lambda a, actor, r=role: membership_remove(actor=actor, membership=a.holder(r)),
                lambda a, client, r=role: client.post(
                    f"/settings/users/{a.holder(r).pk}/remove/", CONFIRMED, follow=True
                ),
            ),
            Change(
                f"add a user with {role}",
                Action.MANAGE_USERS,
                ROLES_REASON,
                lambda a, actor, r=role: member_add(
                    actor=actor,
                    organization=a.customer,
                    email=f"new.{r}@{a.customer.primary_domain}",
                    first_name="New",
                    last_name="Person",
                    roles={r},
                ),
                lambda a, client, r=role: client.post(
                    "/settings/users/add/",
                    {
                        "email": f"new.{r}@{a.customer.primary_domain}",
                        "first_name": "New",
                        "last_name": "Person",
                        "roles": [r],
                    },
                    follow=True,
                ),
            ),
            Change(
                f"reset the password of a {role}",
                Action.RESET_USER_PASSWORD,
                ROLES_REASON,
                lambda a, actor, r=role: member_password_reset(
                    actor=actor, organization=a.customer, membership_id=a.holder(r).pk
                ),
                lambda a, client, r=role: client.post(
                    f"/settings/users/{a.holder(r).pk}/reset-password/", follow=True
                ),
            ),
        ]
    changes += [
        _roles(lambda a: a.admin, lambda a: {Role.SALES_AGENT.value}, "demote the Global admin"),
        _roles(
            lambda a: a.admin,
            lambda a: {Role.GLOBAL_ADMIN.value, Role.SALES_AGENT.value},
            "change the other roles of the Global admin",
        ),
        Change(
            "remove a partner's admin access",
            Action.MANAGE_PARTNER_ACCESS,
            ACCESS_REASON,
            lambda a, actor: admin_access_remove(
                actor=actor, organization=a.customer, access_id=a.access.pk
            ),
            lambda a, client: client.post(
                f"/partner-relationships/admin-access/{a.access.pk}/remove/", CONFIRMED, follow=True
            ),
        ),
    ]
    for verb, service, relationship in (
        ("approve", gdap_approve, "pending"),
        ("decline", gdap_decline, "pending"),
        ("end", gdap_end, "active"),
    ):
        changes.append(
            Change(
                f"{verb} GDAP roles",
                Action.MANAGE_PARTNER_ACCESS,
                ACCESS_REASON,
                lambda a, actor, s=service, r=relationship: s(
                    actor=actor, organization=a.customer, relationship_id=getattr(a, r).pk
                ),
                lambda a, client, v=verb, r=relationship: client.post(
                    f"/partner-relationships/gdap/{getattr(a, r).pk}/{v}/", CONFIRMED, follow=True
                ),
            )
        )
    changes.append(
        Change(
            "approve GDAP roles from the email's link",
            Action.MANAGE_PARTNER_ACCESS,
            ACCESS_REASON,
            None,  # the same service as "approve GDAP roles"
            lambda a, client: client.post(
                f"/partner-relationships/gdap/{a.pending.key}/", {"action": "approve"}
            ),
        )
    )
    changes.append(
        Change(
            "accept a reseller's invitation (it grants admin access)",
            Action.ACCEPT_CUSTOMER_RELATIONSHIP,
            ACCESS_REASON,
            lambda a, actor: customer_invitation_accept(
                actor=actor,
                organization=a.customer,
                invitation_id=a.invitation.pk,
            ),
            None,
        )
    )
    return changes


CHANGES = _changes()
# DAP's role set and each GDAP role, from the table's `DelegatedRole`.
DELEGATED_ROLE_SETS = [frozenset({role.value}) for role in DelegatedRole]
# Those the table lets manage users (DAP, User administrator).
USER_MANAGERS = [r for r in DELEGATED_ROLE_SETS if r & RULES[Action.MANAGE_USERS][1]]


def test_the_privileged_roles_come_from_the_table():
    assert {Role.GLOBAL_ADMIN, Role.BILLING_ADMIN} <= PRIVILEGED_ROLES
    for role in Role:
        grants = {a for a in PRIVILEGED_ACTIONS if role.value in RULES[a][1]}
        assert (role.value in PRIVILEGED_ROLES) == bool(grants), role
    assert PLAIN not in PRIVILEGED_ROLES


@pytest.mark.parametrize("roles", DELEGATED_ROLE_SETS, ids=lambda r: "+".join(sorted(r)))
def test_the_services_refuse_every_privileged_change(monkeypatch, roles):
    a = account(monkeypatch, roles)
    delegated = delegated_membership(a.agent.user, a.customer)
    assert delegated is not None and delegated.is_delegated
    for change in CHANGES:
        if change.service is None:
            continue
        before = state(a)
        with pytest.raises(PermissionDenied) as refused:
            change.service(a, a.agent.user)
        if can(delegated, change.action):
            # The table lets the role in: the rule refuses, with its reason.
            assert isinstance(refused.value, PrivilegedChangeRefused), change.name
            assert change.reason in str(refused.value), change.name
            assert a.customer.legal_name in str(refused.value), change.name
        assert state(a) == before, change.name


@pytest.mark.parametrize("roles", DELEGATED_ROLE_SETS, ids=lambda r: "+".join(sorted(r)))
def test_the_pages_refuse_every_privileged_change(monkeypatch, roles):
    a = account(monkeypatch, roles)
    delegated = delegated_membership(a.agent.user, a.customer)
    client = acting_for(a)
    for change in CHANGES:
        if change.page is None:
            continue
        before = state(a)
        response = change.page(a, client)
        page = response.content.decode()
        assert state(a) == before, change.name
        if can(delegated, change.action):
            # Past the table: the rule's reason, on the 403 page or as the page's error.
            assert change.reason in page, change.name
            assert response.status_code in (200, 403), change.name
        else:
            assert response.status_code in (403, 404), change.name


@pytest.mark.parametrize("roles", USER_MANAGERS, ids=lambda r: "+".join(sorted(r)))
def test_what_a_delegated_user_administrator_may_still_do(monkeypatch, roles):
    """The other members: add one without a privileged role, change a plain member's roles,
    reset their password, remove them, through the services and the pages."""
    a = account(monkeypatch, roles)
    actor = a.agent.user
    domain = a.customer.primary_domain
    added = member_add(
        actor=actor,
        organization=a.customer,
        email=f"plain.one@{domain}",
        first_name="Plain",
        last_name="One",
        roles={PLAIN},
    )
    assert added.roles == {PLAIN}
    membership_roles_update(actor=actor, membership=added, roles={Role.SALES_AGENT.value})
    assert Membership.objects.get(pk=added.pk).roles == {Role.SALES_AGENT}
    member_password_reset(actor=actor, organization=a.customer, membership_id=added.pk)
    membership_remove(actor=actor, membership=added)
    assert not Membership.objects.filter(pk=added.pk).exists()

    client = acting_for(a)
    response = client.post(
        "/settings/users/add/",
        {"email": f"plain.two@{domain}", "first_name": "Plain", "last_name": "Two", "roles": PLAIN},
    )
    assert response.status_code == 302
    two = Membership.objects.get(organization=a.customer, user__email=f"plain.two@{domain}")
    response = client.post(f"/settings/users/{two.pk}/", {"roles": [Role.ADMIN_AGENT.value]})
    assert response.status_code == 302
    assert Membership.objects.get(pk=two.pk).roles == {Role.ADMIN_AGENT}
    assert client.post(f"/settings/users/{two.pk}/reset-password/").status_code == 302
    assert OutboxMessage.objects.filter(
        template="enrollment_password_reset", to_email=two.user.email
    ).exists()
    assert client.post(f"/settings/users/{two.pk}/remove/", CONFIRMED).status_code == 302
    assert not Membership.objects.filter(pk=two.pk).exists()


def test_the_users_page_offers_no_reset_of_a_privileged_member_to_a_partner(monkeypatch):
    a = account(monkeypatch, frozenset({DelegatedRole.USER_ADMINISTRATOR.value}))
    page = acting_for(a).get("/settings/users/").content.decode()
    assert f"/settings/users/{a.plain.pk}/reset-password/" in page
    for target in (a.admin, a.second_admin, a.billing):
        assert f"/settings/users/{target.pk}/reset-password/" not in page


def test_the_last_global_admin_is_out_of_a_partners_reach_and_still_protected(monkeypatch):
    a = account(monkeypatch, frozenset({DelegatedRole.DELEGATED_ADMIN.value}))
    a.second_admin.delete()
    before = state(a)
    for change in (
        lambda: membership_roles_update(
            actor=a.agent.user, membership=a.admin, roles={Role.SALES_AGENT.value}
        ),
        lambda: membership_remove(actor=a.agent.user, membership=a.admin),
    ):
        with pytest.raises(PrivilegedChangeRefused):
            change()
    assert state(a) == before
    # The organization's own last Global admin: the existing protection.
    with pytest.raises(ValidationError, match="last Global admin"):
        membership_roles_update(
            actor=a.admin.user, membership=a.admin, roles={Role.SALES_AGENT.value}
        )
    with pytest.raises(PermissionDenied, match="last Global admin"):
        membership_remove(actor=a.admin.user, membership=a.admin)
    assert state(a) == before


def test_the_real_sources_dap_and_gdap_are_refused_on_the_page():
    """Without a test source: DAP granted by the accepted invitation, a GDAP User
    administrator approved by the customer."""
    w = dap_world()
    g = gdap_setup()
    g.approved([DelegatedRole.USER_ADMINISTRATOR])
    for agent, customer in ((w.provider_agent, w.customer), (g.agent, g.customer)):
        client = Client()
        client.force_login(agent.user)
        session = client.session
        session[ACTING_FOR_SESSION_KEY] = customer.pk
        session.save()
        email = f"boss@{customer.primary_domain}"
        response = client.post(
            "/settings/users/add/",
            {"email": email, "first_name": "B", "last_name": "Oss", "roles": ["global_admin"]},
        )
        assert response.status_code == 403
        assert ROLES_REASON in response.content.decode()
        assert not User.objects.filter(email=email).exists()


def test_the_reason_is_translated():
    a_customer_admin = member(gdap_setup().customer)
    delegated = Membership(user=a_customer_admin.user, organization=a_customer_admin.organization)
    delegated.delegated_by = a_customer_admin.organization
    delegated.delegated_roles = frozenset({DelegatedRole.DELEGATED_ADMIN.value})
    english = privileged_change_refusal(delegated, roles_after={Role.GLOBAL_ADMIN.value})
    access = privileged_change_refusal(delegated, partner_access=True)
    with translation.override("it"):
        assert privileged_change_refusal(delegated, roles_after={Role.GLOBAL_ADMIN.value}) not in (
            None,
            english,
        )
        assert privileged_change_refusal(delegated, partner_access=True) not in (None, access)
    assert privileged_change_refusal(a_customer_admin, roles_after={"global_admin"}) is None
