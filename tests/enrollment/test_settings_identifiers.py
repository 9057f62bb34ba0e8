import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import LegacyMembershipAccount, PartnerId
from portal.models import Market
from tests.factories import member
from tests.queries import warm

pytestmark = pytest.mark.django_db

URL = "/settings/identifiers/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def partner_id(org, mpn_id, country="IT", kind=PartnerId.Kind.LOCATION, **extra):
    return PartnerId.objects.create(
        organization=org,
        mpn_id=mpn_id,
        kind=kind,
        location_name="Milano",
        country=Market.objects.get(code=country),
        **extra,
    )


def test_identifiers_lists_only_this_tenants_partner_ids(
    client_for, reseller_admin, other_tenant_admin
):
    partner_id(reseller_admin.organization, "1234567")
    partner_id(other_tenant_admin.organization, "7654321")
    page = client_for(reseller_admin).get(URL).text
    assert "1234567" in page
    assert "7654321" not in page


def test_identifiers_runs_the_same_queries_for_1_and_3_partner_ids(client_for, reseller_admin):
    partner_id(reseller_admin.organization, "5000000")
    client = client_for(reseller_admin)
    warm(client)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for n in range(1, 3):
        partner_id(reseller_admin.organization, f"{5000000 + n}")
    with CaptureQueriesContext(connection) as three:
        page = client.get(URL).text
    assert all(f"{5000000 + n}" in page for n in range(3))
    assert len(one) == len(three) <= 9


def test_adding_a_partner_id(client_for, reseller_admin):
    response = client_for(reseller_admin).post(
        URL, {"mpn_id": "3456789", "kind": "location", "location_name": "Roma", "country": "IT"}
    )
    assert response["Location"] == URL
    assert PartnerId.objects.get(mpn_id="3456789").organization == reseller_admin.organization


def test_a_partner_id_registered_elsewhere_is_refused(
    client_for, reseller_admin, other_tenant_admin
):
    partner_id(other_tenant_admin.organization, "3456789")
    response = client_for(reseller_admin).post(
        URL, {"mpn_id": "3456789", "kind": "location", "location_name": "", "country": "IT"}
    )
    assert "This PartnerID is already registered." in response.text
    assert PartnerId.objects.get(mpn_id="3456789").organization == other_tenant_admin.organization


def test_a_partner_id_is_numeric(client_for, reseller_admin):
    response = client_for(reseller_admin).post(
        URL, {"mpn_id": "ABC", "kind": "location", "location_name": "", "country": "IT"}
    )
    assert "A PartnerID is a number of 6 to 10 digits." in response.text
    assert not PartnerId.objects.exists()


def test_associating_a_partner_id_of_the_account_country(client_for, reseller_admin):
    pid = partner_id(reseller_admin.organization, "1234567", "IT")
    response = client_for(reseller_admin).post(f"{URL}{pid.pk}/associate/", follow=True)
    assert "is now associated" in response.text
    pid.refresh_from_db()
    assert pid.is_associated


def test_associating_a_partner_id_of_another_country_names_both_countries(
    client_for, reseller_admin
):
    org = reseller_admin.organization
    org.country = Market.objects.get(code="FR")
    org.save()
    pid = partner_id(org, "1234567", "GB")
    response = client_for(reseller_admin).post(f"{URL}{pid.pk}/associate/", follow=True)
    assert (
        "PartnerID 1234567 is in United Kingdom; your CSP account is in France. "
        "Associate a PartnerID from France."
    ) in response.text
    pid.refresh_from_db()
    assert not pid.is_associated


def test_associating_moves_the_association(client_for, reseller_admin):
    first = partner_id(reseller_admin.organization, "1111111", is_associated=True)
    second = partner_id(reseller_admin.organization, "2222222")
    client_for(reseller_admin).post(f"{URL}{second.pk}/associate/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_associated, second.is_associated) == (False, True)


def test_another_tenants_partner_id_is_a_404(client_for, reseller_admin, other_tenant_admin):
    pid = partner_id(other_tenant_admin.organization, "7654321")
    response = client_for(reseller_admin).post(f"{URL}{pid.pk}/associate/")
    assert response.status_code == 404
    pid.refresh_from_db()
    assert not pid.is_associated


def test_only_global_admins_manage_identifiers(client_for, reseller_admin):
    agent = member(reseller_admin.organization, admin_agent=True)
    assert client_for(agent).get(URL).status_code == 403


def legacy(mpn_id="9876543", sign_in_name="old@northwind.example", country="IT"):
    return LegacyMembershipAccount.objects.create(
        mpn_id=mpn_id,
        sign_in_name=sign_in_name,
        password_hash=make_password("Legacy-Pass-1"),
        location_name="Torino",
        country=Market.objects.get(code=country),
    )


def test_linking_a_legacy_account_moves_its_partner_id_into_identifiers(client_for, reseller_admin):
    account = legacy()
    response = client_for(reseller_admin).post(
        f"{URL}legacy/", {"sign_in_name": account.sign_in_name, "password": "Legacy-Pass-1"}
    )
    assert response["Location"] == URL
    account.refresh_from_db()
    assert account.linked_organization == reseller_admin.organization
    pid = PartnerId.objects.get(mpn_id="9876543")
    assert (pid.organization, pid.location_name) == (reseller_admin.organization, "Torino")


def test_a_legacy_account_links_to_one_organization_only(
    client_for, reseller_admin, other_tenant_admin
):
    account = legacy()
    client_for(other_tenant_admin).post(
        f"{URL}legacy/", {"sign_in_name": account.sign_in_name, "password": "Legacy-Pass-1"}
    )
    response = client_for(reseller_admin).post(
        f"{URL}legacy/", {"sign_in_name": account.sign_in_name, "password": "Legacy-Pass-1"}
    )
    assert "already linked to another organization" in response.text
    account.refresh_from_db()
    assert account.linked_organization == other_tenant_admin.organization
    assert not PartnerId.objects.filter(organization=reseller_admin.organization).exists()


def test_wrong_legacy_password_is_refused_and_rate_limited(client_for, reseller_admin):
    account = legacy()
    client = client_for(reseller_admin)
    for _ in range(5):
        response = client.post(
            f"{URL}legacy/", {"sign_in_name": account.sign_in_name, "password": "wrong"}
        )
        assert "The sign-in name or password is not correct." in response.text
    response = client.post(
        f"{URL}legacy/", {"sign_in_name": account.sign_in_name, "password": "Legacy-Pass-1"}
    )
    assert "Too many attempts" in response.text
    account.refresh_from_db()
    assert account.linked_organization is None


def test_the_legacy_rate_limit_is_per_organization(client_for, reseller_admin, other_tenant_admin):
    account = legacy()
    for _ in range(5):
        client_for(reseller_admin).post(
            f"{URL}legacy/", {"sign_in_name": account.sign_in_name, "password": "wrong"}
        )
    response = client_for(other_tenant_admin).post(
        f"{URL}legacy/", {"sign_in_name": account.sign_in_name, "password": "Legacy-Pass-1"}
    )
    assert response.status_code == 302
