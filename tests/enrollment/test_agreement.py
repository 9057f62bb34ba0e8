import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollment.models import AgreementAcceptance, AgreementVersion
from enrollment.selectors import agreement_accepted
from portal.models import AuditEvent, Organization
from tests.factories import member
from tests.queries import warm

pytestmark = pytest.mark.django_db

URL = "/dashboard/agreement/"


def accept_data(membership, **overrides):
    return {
        "version": "2026-01",
        "first_name": "Pat",
        "last_name": "Person",
        "title": "Chief Executive",
        "email": membership.user.email,
        "accepted_on": timezone.localdate().isoformat(),
        "confirm": "on",
        **overrides,
    }


def test_every_environment_has_a_first_partner_agreement_version():
    version = AgreementVersion.objects.get(version="2026-01")
    assert version.title == "Partner Agreement"
    assert "PARTNER AGREEMENT" in version.body


def test_global_admin_of_a_verified_org_sees_the_agreement_and_the_form(client_for, reseller_admin):
    page = client_for(reseller_admin).get("/dashboard/").text
    assert "Partner Agreement (version 2026-01)" in page
    assert "Accept the Partner Agreement" in page
    assert 'name="title"' in page


def test_accepting_records_user_version_time_and_ip_then_shows_the_green_banner(
    client_for, reseller_admin, other_tenant_admin
):
    client = client_for(reseller_admin)
    response = client.post(URL, accept_data(reseller_admin), REMOTE_ADDR="203.0.113.7")
    assert response["Location"] == "/dashboard/"
    acceptance = AgreementAcceptance.objects.get(organization=reseller_admin.organization)
    assert acceptance.accepted_by == reseller_admin.user
    assert acceptance.version.version == "2026-01"
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.title == "Chief Executive"
    assert AuditEvent.objects.filter(type="agreement.accepted").exists()
    assert agreement_accepted(organization=reseller_admin.organization)
    assert not agreement_accepted(organization=other_tenant_admin.organization)
    page = client.get("/dashboard/").text
    assert "Your organization accepted the Partner Agreement (version 2026-01) on" in page
    assert "✓" in page
    assert "Accept the Partner Agreement" not in page


def test_the_checkbox_is_required_and_nothing_is_saved_without_it(client_for, reseller_admin):
    data = accept_data(reseller_admin)
    del data["confirm"]
    response = client_for(reseller_admin).post(URL, data)
    assert response.status_code == 200
    assert "Tick the box to accept the Partner Agreement." in response.text
    assert not AgreementAcceptance.objects.exists()


def test_only_global_admins_accept(client_for, reseller_admin):
    agent = member(reseller_admin.organization, admin_agent=True)
    client = client_for(agent)
    assert client.post(URL, accept_data(agent)).status_code == 403
    assert not AgreementAcceptance.objects.exists()
    page = client.get("/dashboard/").text
    assert "Only a Global admin can accept it" in page
    assert reseller_admin.user.get_full_name() in page


def test_an_unverified_organization_is_told_it_comes_after_verification(client_for):
    admin = member()
    admin.organization.status = Organization.Status.SUBMITTED
    admin.organization.save()
    client = client_for(admin)
    assert "available once your organization is verified" in client.get("/dashboard/").text
    response = client.post(URL, accept_data(admin))
    assert "once your organization is verified" in response.text
    assert not AgreementAcceptance.objects.exists()


def test_a_new_version_asks_again(client_for, reseller_admin):
    client = client_for(reseller_admin)
    client.post(URL, accept_data(reseller_admin))
    AgreementVersion.objects.create(
        version="2026-07", title="Partner Agreement", body="New terms", published_at=timezone.now()
    )
    assert not agreement_accepted(organization=reseller_admin.organization)
    page = client.get("/dashboard/").text
    assert "A new version of the Partner Agreement is available" in page
    assert "Accept the Partner Agreement" in page
    client.post(URL, accept_data(reseller_admin, version="2026-07"))
    assert agreement_accepted(organization=reseller_admin.organization)


def test_customers_get_no_agreement_panel(client_for):
    customer = member(
        member().organization.__class__.objects.create(
            kind=Organization.Kind.CUSTOMER, legal_name="Shop", primary_domain="shop.example"
        )
    )
    assert "Partner Agreement" not in client_for(customer).get("/dashboard/").text


def test_dashboard_runs_the_same_queries_with_1_or_3_earlier_acceptances(
    client_for, reseller_admin
):
    client = client_for(reseller_admin)

    def accept_old_version(n):
        version = AgreementVersion.objects.create(
            version=f"2025-{n:02d}",
            title="Partner Agreement",
            body="old",
            published_at=timezone.now().replace(year=2020),
        )
        AgreementAcceptance.objects.create(
            organization=reseller_admin.organization,
            version=version,
            accepted_by=reseller_admin.user,
            first_name="P",
            last_name="P",
            title="T",
            email=reseller_admin.user.email,
            accepted_on=timezone.localdate(),
        )

    accept_old_version(0)
    warm(client)
    with CaptureQueriesContext(connection) as one:
        assert "A new version of the Partner Agreement" in client.get("/dashboard/").text
    for n in range(1, 3):
        accept_old_version(n)
    with CaptureQueriesContext(connection) as three:
        assert "A new version of the Partner Agreement" in client.get("/dashboard/").text
    assert len(one) == len(three)
