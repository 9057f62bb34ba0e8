"""/api/v1/ partner endpoints (api/endpoints_partners.py) with real tokens: each for the right
kind of organization (another kind: 404), scoped to the caller (another tenant's rows never
show), filters validated, invitations sent through the pages' services, and a partner acting
for a customer through its GDAP roles only (api/acting.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import endpoints
from delegation.models import GdapRelationship
from portal.models import AuditEvent
from portal.policy import Action, can
from relationships.models import CustomerInvitation, ResellerInvitation
from tests.api.factories import admin_of, api_client_of, bearer
from tests.api.test_api import assert_problem
from tests.commerce.billing_factories import offer, subscription
from tests.delegation.gdap_factories import gdap_setup
from tests.factories import member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    customer_org,
    provider_org,
    reseller_org,
)
from tests.verification.factories import submitted_reseller
from verification.services.cases import case_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    provider = provider_org(legal_name="Apiprov Distribution")
    reseller = reseller_org(legal_name="Apiresell IT")
    pair = ProviderRelationshipFactory(provider=provider, reseller=reseller)
    shared = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Apicust Retail")
    )
    subscription(shared, quantity=3)
    # Another family: its provider, reseller, invitations and subscription.
    other_pair = ProviderRelationshipFactory(
        provider=provider_org(legal_name="Otherprov"), reseller=reseller_org(legal_name="Otherres")
    )
    ResellerInvitationFactory(organization=other_pair.provider, email="x@otherinvite.example")
    CustomerInvitationFactory(relationship=other_pair, email="y@othercust.example")
    subscription(CustomerRelationshipFactory(relationship=other_pair), quantity=9)
    return {"provider": provider, "reseller": reseller, "pair": pair, "shared": shared}


def api_of(org, roles=None):
    return bearer(api_client_of(admin_of(org), roles or ["global_admin"]))


def test_users_and_their_roles(world):
    admin = admin_of(world["provider"])
    member(world["provider"], global_admin=False, sales_agent=True)
    member(world["reseller"])  # another organization's member
    api = bearer(api_client_of(admin, ["global_admin"]))
    users = api.get("/api/v1/users/").json()["results"]
    assert admin.user.email in {u["email"] for u in users}
    assert {u["email"] for u in users} == {
        m.user.email for m in world["provider"].memberships.all()
    }
    assert ["sales_agent"] in [u["roles"] for u in users]
    # Viewing users is a Global admin's (or a delegated user administrator's).
    sales = bearer(api_client_of(admin, ["sales_agent"], name="Sales"))
    assert_problem(sales.get("/api/v1/users/"), 403)


def test_indirect_providers_of_a_reseller(world):
    api = api_of(world["reseller"])
    rows = api.get("/api/v1/indirect-providers/").json()["results"]
    assert [r["provider"]["legal_name"] for r in rows] == ["Apiprov Distribution"]
    assert_problem(api_of(world["provider"]).get("/api/v1/indirect-providers/"), 404)


def test_reseller_invitations_list_and_filter(world):
    mine = ResellerInvitationFactory(organization=world["provider"], email="a@newres.example")
    ResellerInvitationFactory(
        organization=world["provider"], email="b@newres.example", status="revoked"
    )
    api = api_of(world["provider"])
    rows = api.get("/api/v1/reseller-invitations/").json()["results"]
    assert {r["email"] for r in rows} == {"a@newres.example", "b@newres.example"}
    pending = api.get("/api/v1/reseller-invitations/?status=pending").json()["results"]
    assert [r["id"] for r in pending] == [mine.pk]
    body = assert_problem(api.get("/api/v1/reseller-invitations/?status=nope"), 400)
    assert "status" in body["errors"]
    # A reseller has no reseller invitations; a customer's client neither.
    assert_problem(api_of(world["reseller"]).get("/api/v1/reseller-invitations/"), 404)


def test_a_provider_invites_a_reseller_through_the_pages_service(world):
    admin = admin_of(world["provider"])
    api = bearer(api_client_of(admin, ["admin_agent"]))
    response = api.post(
        "/api/v1/reseller-invitations/",
        {"email": "Owner@Brandnew.example", "partner_id": ""},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = ResellerInvitation.objects.get(pk=response.json()["id"])
    assert created.email == "owner@brandnew.example" and created.organization == world["provider"]
    assert created.status == "pending" and created.invited_by == admin.user
    event = AuditEvent.objects.filter(organization=world["provider"]).latest("pk")
    assert event.details.get("api_client", "").startswith("Sync (")
    # The service's refusal: a second pending invitation to the same address.
    again = api.post(
        "/api/v1/reseller-invitations/",
        {"email": "owner@brandnew.example"},
        content_type="application/json",
    )
    body = assert_problem(again, 400)
    assert "email" in body["errors"]
    # The serializer's: no email at all, in Italian.
    italian = api.post(
        "/api/v1/reseller-invitations/",
        {"partner_id": "x"},
        content_type="application/json",
        headers={"Accept-Language": "it"},
    )
    body = assert_problem(italian, 400)
    assert "email" in body["errors"] and "obbligatorio" in body["errors"]["email"][0]
    assert body["detail"] != "Some parameters are not valid."
    # A role that may not invite.
    billing = api_of(world["provider"], ["billing_admin"])
    assert_problem(
        billing.post(
            "/api/v1/reseller-invitations/",
            {"email": "z@brandnew.example"},
            content_type="application/json",
        ),
        403,
    )


def test_a_reseller_invites_a_customer_shared_with_its_provider(world):
    api = api_of(world["reseller"], ["sales_agent"])
    response = api.post(
        "/api/v1/customer-invitations/",
        {
            "provider_id": world["provider"].pk,
            "email": "it@futurecust.example",
            "company_name": "Futurecust S.r.l.",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["provider"]["legal_name"] == "Apiprov Distribution"
    invitation = CustomerInvitation.objects.get(pk=body["id"])
    assert invitation.organization == world["reseller"] and invitation.include_admin_access
    listed = api.get("/api/v1/customer-invitations/?status=pending").json()["results"]
    assert [r["id"] for r in listed] == [invitation.pk]  # not the other family's
    # A provider that is not the reseller's: the service's per-field refusal.
    other = provider_org()
    refused = api.post(
        "/api/v1/customer-invitations/",
        {"provider_id": other.pk, "email": "a@b.example", "company_name": "B"},
        content_type="application/json",
    )
    assert "provider" in assert_problem(refused, 400)["errors"]
    assert_problem(api_of(world["provider"]).get("/api/v1/customer-invitations/"), 404)


def test_offers_in_the_callers_markets(world):
    offer("Apioffer Suite", prices={"EUR": "7.00", "GBP": "6.00"})
    api = api_of(world["reseller"], ["sales_agent"])  # an Italian reseller: Europe
    rows = api.get("/api/v1/offers/").json()["results"]
    suite = next(r for r in rows if r["name"] == "Apioffer Suite")
    assert suite["currency"] == "EUR" and suite["monthly_term_price"] == "7.00"
    gb = api.get("/api/v1/offers/?market=GB").json()["results"]
    assert next(r for r in gb if r["name"] == "Apioffer Suite")["currency"] == "GBP"
    assert_problem(api.get("/api/v1/offers/?market=US"), 404)  # not a market of theirs
    assert "market" in assert_problem(api.get("/api/v1/offers/?market=it"), 400)["errors"]
    # Placing orders is not a billing admin's, nor a customer's.
    assert_problem(api_of(world["reseller"], ["billing_admin"]).get("/api/v1/offers/"), 403)
    assert_problem(api_of(world["shared"].customer).get("/api/v1/offers/"), 404)


def test_offers_follow_next_links(world, monkeypatch):
    monkeypatch.setattr(endpoints, "PAGE_SIZE", 2)
    api = api_of(world["provider"])
    seen, url = [], "/api/v1/offers/"
    while url:
        page = api.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) > 2


def test_billing_totals(world):
    rows = api_of(world["provider"]).get("/api/v1/billing/").json()["totals"]
    assert rows == [{"currency": "EUR", "subscriptions": 1, "monthly_cost": "30.00"}]
    assert_problem(api_of(world["provider"], ["sales_agent"]).get("/api/v1/billing/"), 403)


def test_audit_events_with_the_pages_filters(world):
    api = api_of(world["provider"])
    rows = api.get("/api/v1/audit-events/").json()["results"]
    assert rows and all(r["code"] for r in rows)
    typed = api.get(f"/api/v1/audit-events/?type={rows[0]['code']}").json()["results"]
    assert {r["code"] for r in typed} == {rows[0]["code"]}
    assert (
        "date_from" in assert_problem(api.get("/api/v1/audit-events/?date_from=x"), 400)["errors"]
    )
    # The reseller's log is its own: none of the provider's events (its client's creation).
    reseller_api = api_of(world["reseller"])
    theirs = reseller_api.get("/api/v1/audit-events/?type=" + rows[-1]["code"]).json()["results"]
    assert len(theirs) == 1  # its own client's creation only, not the provider's
    assert_problem(api_of(world["provider"], ["admin_agent"]).get("/api/v1/audit-events/"), 403)


def test_verification_status_of_a_reseller(world):
    assert api_of(world["reseller"]).get("/api/v1/verification/").json() == {"case": None}
    applicant = submitted_reseller()
    case = case_open(actor=None, organization=applicant.organization)
    api = bearer(api_client_of(applicant, ["helpdesk_agent"]))
    assert api.get("/api/v1/verification/").json()["case"]["status"] == case.status
    assert_problem(api_of(world["provider"]).get("/api/v1/verification/"), 404)


def test_gdap_requests_for_the_partner_and_the_customer():
    gdap = gdap_setup()
    active = gdap.approved(["billing_reader"])
    pending = gdap.request(["user_administrator"], name="Users 2027")
    other = gdap_setup()
    other.request(["billing_reader"])
    partner = api_of(gdap.provider)
    rows = partner.get("/api/v1/gdap-requests/").json()["results"]
    assert [r["id"] for r in rows] == [pending.pk, active.pk]
    only = partner.get("/api/v1/gdap-requests/?status=active").json()["results"]
    assert [r["id"] for r in only] == [active.pk]
    none = partner.get(f"/api/v1/gdap-requests/?customer={other.customer.pk}").json()
    assert none["results"] == []
    assert_problem(partner.get("/api/v1/gdap-requests/?customer=abc"), 400)
    customer = api_of(gdap.customer)
    rows = customer.get("/api/v1/gdap-requests/").json()["results"]
    assert {r["id"] for r in rows} == {pending.pk, active.pk}
    assert_problem(api_of(gdap.provider, ["sales_agent"]).get("/api/v1/gdap-requests/"), 403)


# Acting for a customer (Act-As-Customer) ---------------------------------------------------


def test_a_partner_acts_for_a_customer_through_its_gdap_roles_only():
    gdap = gdap_setup()
    theirs = subscription(
        customer=gdap.customer, reseller=gdap.reseller, provider=gdap.provider, quantity=4
    )
    other = subscription(quantity=8)  # another customer's
    api = api_of(gdap.provider, ["admin_agent"])
    header = {"Act-As-Customer": str(gdap.customer.pk)}
    # No active GDAP relationship (a request not approved yet): refused, as the page refuses.
    gdap.request(["license_administrator"], name="Pending")
    assert_problem(api.get("/api/v1/subscriptions/", headers=header), 403)
    gdap.approved(["billing_reader"])
    rows = api.get("/api/v1/subscriptions/", headers=header).json()["results"]
    assert [r["id"] for r in rows] == [theirs.pk]
    assert_problem(api.get(f"/api/v1/subscriptions/{other.pk}/", headers=header), 404)
    assert api.get("/api/v1/billing/", headers=header).json()["totals"][0]["subscriptions"] == 1
    # Billing reader reads; it neither sees the users nor the organization's legal profile.
    assert_problem(api.get("/api/v1/users/", headers=header), 403)
    assert_problem(api.get("/api/v1/organization/", headers=header), 403)
    # Without the header the client is the provider again.
    assert api.get("/api/v1/organization/").json()["kind"] == "provider"


def test_acting_needs_an_administering_scope_and_a_customer_of_the_partner():
    gdap = gdap_setup()
    gdap.approved(["license_administrator"])
    header = {"Act-As-Customer": str(gdap.customer.pk)}
    sales = api_of(gdap.provider, ["sales_agent"])
    assert_problem(sales.get("/api/v1/subscriptions/", headers=header), 403)
    stranger = gdap_setup()  # a customer the provider does not work with: a 404
    api = api_of(gdap.provider, ["admin_agent"])
    assert_problem(
        api.get("/api/v1/subscriptions/", headers={"Act-As-Customer": str(stranger.customer.pk)}),
        404,
    )
    assert_problem(api.get("/api/v1/subscriptions/", headers={"Act-As-Customer": "x"}), 404)
    # A customer's own client cannot act for anyone.
    own = api_of(gdap.customer)
    assert_problem(own.get("/api/v1/subscriptions/", headers=header), 404)


def test_the_acting_membership_decides_writes_by_the_gdap_roles():
    """What the client may do for the customer: the policy table over its GDAP roles (the
    membership the API builds, through delegation's partner source)."""
    from api.acting import acting_membership_for
    from api.authentication import client_membership

    gdap = gdap_setup()
    client = api_client_of(admin_of(gdap.provider), ["admin_agent"]).client
    own = client_membership(client, {"admin_agent"})

    class Req:
        headers = {"Act-As-Customer": str(gdap.customer.pk)}

    reader = gdap.approved(["billing_reader"])
    acting = acting_membership_for(Req(), own)
    assert acting.organization == gdap.customer and acting.delegated_by == gdap.provider
    assert acting.roles == {"billing_reader"}
    assert can(acting, Action.VIEW_SUBSCRIPTIONS)
    assert not can(acting, Action.CHANGE_SUBSCRIPTION_QUANTITY)
    assert not can(acting, Action.MANAGE_SUBSCRIPTION)
    gdap.approved(["license_administrator"], name="Licenses")
    acting = acting_membership_for(Req(), own)
    assert can(acting, Action.CHANGE_SUBSCRIPTION_QUANTITY)
    assert not can(acting, Action.MANAGE_USERS)
    # Ended relationships grant nothing.
    GdapRelationship.objects.filter(customer=gdap.customer).update(status="ended")
    with pytest.raises(Exception, match="GDAP"):
        acting_membership_for(Req(), own)
    assert reader.pk


def test_dap_alone_does_not_let_a_client_act():
    from tests.delegation.factories import dap_world

    world = dap_world()
    api = api_of(world.provider, ["admin_agent"])
    header = {"Act-As-Customer": str(world.customer.pk)}
    assert_problem(api.get("/api/v1/subscriptions/", headers=header), 403)


# Query counts ----------------------------------------------------------------------------


def _queries(api, path: str) -> int:
    api.get(path)
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path).status_code == 200, path
    return len(ctx)


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("provider", "/api/v1/users/"),
        ("reseller", "/api/v1/indirect-providers/"),
        ("provider", "/api/v1/reseller-invitations/"),
        ("reseller", "/api/v1/customer-invitations/"),
        ("provider", "/api/v1/offers/"),
        ("provider", "/api/v1/audit-events/"),
        ("provider", "/api/v1/gdap-requests/"),
    ],
)
def test_a_list_costs_the_same_queries_whatever_its_size(kind, path):
    counts = []
    for size in (1, 6):
        pair = ProviderRelationshipFactory()
        org = pair.provider if kind == "provider" else pair.reseller
        for n in range(size):
            member(org, global_admin=False, helpdesk_agent=True)
            ProviderRelationshipFactory(reseller=pair.reseller)
            ResellerInvitationFactory(organization=pair.provider)
            CustomerInvitationFactory(relationship=pair)
            offer(f"Sized offer {size}-{n}", prices={"EUR": "1.00"})
            GdapRelationship.objects.create(
                key=f"size-{size}-{n}-" + "k" * 30,
                customer=CustomerRelationshipFactory(relationship=pair).customer,
                partner=pair.provider,
                name="Sized",
                roles=["billing_reader"],
                duration_days=30,
                requested_by=member(pair.provider).user,
                request_expires_at=pair.authorized_at,
            )
        counts.append(_queries(api_of(org), path))
    assert counts[0] == counts[1], counts


def test_a_service_run_as_the_acting_membership_checks_the_gdap_grant_under_lock():
    """The services' one look-up (`require_member`) answers the API's delegated membership for
    its user, and inside a transaction checks the partner's GDAP grant again (the partner
    source, with `lock`): a reader is refused a write, a grant ended meanwhile refuses it."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from api.acting import acting_membership_for
    from api.authentication import client_membership
    from portal.policy import acting_membership, require_member

    gdap = gdap_setup()
    client = api_client_of(admin_of(gdap.provider), ["admin_agent"]).client
    own = client_membership(client, {"admin_agent"})

    class Req:
        headers = {"Act-As-Customer": str(gdap.customer.pk)}

    gdap.approved(["billing_reader"])
    reader = acting_membership_for(Req(), own)
    with acting_membership(reader):
        found = require_member(
            actor=own.user, organization=gdap.customer, action=Action.VIEW_SUBSCRIPTIONS
        )
        assert found is reader
        with pytest.raises(PermissionDenied):
            require_member(
                actor=own.user,
                organization=gdap.customer,
                action=Action.CHANGE_SUBSCRIPTION_QUANTITY,
            )
        # Not the creator's own memberships: another organization is nobody's here.
        with pytest.raises(PermissionDenied):
            require_member(
                actor=own.user, organization=gdap.provider, action=Action.VIEW_SUBSCRIPTIONS
            )
    licenses = gdap.approved(["license_administrator"], name="Licenses")
    writer = acting_membership_for(Req(), own)
    with acting_membership(writer), transaction.atomic():
        locked = require_member(
            actor=own.user, organization=gdap.customer, action=Action.CHANGE_SUBSCRIPTION_QUANTITY
        )
        assert locked.delegated_by == gdap.provider
    GdapRelationship.objects.filter(pk=licenses.pk).update(status="ended")
    writer = acting_membership_for(Req(), own)  # still a reader through the other grant
    writer.delegated_roles = frozenset({"license_administrator", "billing_reader"})  # stale
    with acting_membership(writer), transaction.atomic(), pytest.raises(PermissionDenied):
        require_member(
            actor=own.user, organization=gdap.customer, action=Action.CHANGE_SUBSCRIPTION_QUANTITY
        )
