import pytest
from django.urls import reverse

from portal.models import Membership, Organization
from portal.policy import Action, can
from portal.tenancy import tenant_object_or_404
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_names_the_members_organization(client_for, reseller_admin):
    response = client_for(reseller_admin).get("/dashboard/")
    assert response.status_code == 200
    assert reseller_admin.organization.legal_name in response.text


def test_tenant_lookup_of_another_tenants_row_is_404(reseller_admin, other_tenant_admin):
    from django.http import Http404

    with pytest.raises(Http404):
        tenant_object_or_404(Membership, reseller_admin.organization, pk=other_tenant_admin.pk)
    found = tenant_object_or_404(Membership, reseller_admin.organization, pk=reseller_admin.pk)
    assert found == reseller_admin


def test_user_without_organization_is_offered_enrolment(client):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.get("/dashboard/", follow=True)
    assert "enrol your company" in response.text.lower()


@pytest.mark.parametrize(
    ("roles", "action", "allowed"),
    [
        ({"global_admin": True}, Action.MANAGE_USERS, True),
        ({"admin_agent": True}, Action.MANAGE_USERS, False),
        ({"admin_agent": True}, Action.AUTHORIZE_PROVIDER, True),
        ({"sales_agent": True}, Action.AUTHORIZE_PROVIDER, False),
        ({"sales_agent": True}, Action.INVITE_CUSTOMER, True),
        ({"helpdesk_agent": True}, Action.INVITE_CUSTOMER, False),
        ({"helpdesk_agent": True}, Action.VIEW_CUSTOMERS, True),
        ({"billing_admin": True}, Action.VIEW_BILLING, True),
        ({"billing_admin": True}, Action.MANAGE_USERS, False),
        ({"global_admin": True}, Action.ACCEPT_AGREEMENT, True),
        ({"admin_agent": True}, Action.ACCEPT_AGREEMENT, False),
    ],
)
def test_policy_follows_partner_center_roles(roles, action, allowed):
    assert can(member(**roles), action) is allowed


def test_reviewer_role_only_counts_in_the_operator_organization():
    reseller_member = member(verification_admin=True)
    operator = OrganizationFactory(kind=Organization.Kind.OPERATOR)
    reviewer = member(operator, verification_admin=True)
    assert not can(reseller_member, Action.REVIEW_VERIFICATION)
    assert can(reviewer, Action.REVIEW_VERIFICATION)


def test_navigation_depends_on_kind_and_roles(client_for):
    reseller = member()
    provider = member(OrganizationFactory(kind=Organization.Kind.PROVIDER))
    helpdesk = member(reseller.organization, helpdesk_agent=True)
    reseller_page = client_for(reseller).get("/dashboard/").text
    provider_page = client_for(provider).get("/dashboard/").text
    helpdesk_page = client_for(helpdesk).get("/dashboard/").text
    assert 'href="/indirect-providers/"' in reseller_page
    assert 'href="/indirect-resellers/"' not in reseller_page
    assert 'href="/indirect-resellers/"' in provider_page
    assert 'href="/settings/users/"' in reseller_page
    assert 'href="/settings/users/"' not in helpdesk_page


def test_an_organization_still_enrolling_only_sees_the_dashboard_in_navigation(client_for):
    drafting = member(OrganizationFactory(status=Organization.Status.DRAFT))
    page = client_for(drafting).get("/dashboard/").text
    assert 'href="/dashboard/"' in page
    assert 'href="/customers/"' not in page
    assert 'href="/settings/users/"' not in page


def test_only_partner_organizations_are_asked_to_add_an_admin_agent(client_for):
    reseller = member()
    customer = member(OrganizationFactory(kind=Organization.Kind.CUSTOMER))
    prompt = "Add yourself to Admin agent"
    assert prompt in client_for(reseller).get("/dashboard/").text
    assert prompt not in client_for(customer).get("/dashboard/").text
