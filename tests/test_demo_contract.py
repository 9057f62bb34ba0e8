"""DOMAIN.md's demo-data table and URL map are contracts: after `seed_demo` every demo user signs
in with the documented password and opens the pages of the URL map that belong to them."""

from io import StringIO

import pytest
from django.core.management import call_command

from devtools.demo.portal import DEMO_ORGS, PASSWORD

pytestmark = pytest.mark.django_db

PAGES = {
    "reviewer@csp-operator.example": ["/dashboard/", "/review/", "/outbox/", "/operations/"],
    "admin@contoso-distribution.example": [
        "/dashboard/",
        "/indirect-resellers/",
        "/customers/",
        "/settings/legal/",
        "/settings/users/",
        "/settings/partner-profile/",
        "/settings/identifiers/",
    ],
    "admin@fabrikam-supply.example": ["/dashboard/", "/indirect-resellers/", "/customers/"],
    "admin@northwind-it.example": [
        "/dashboard/",
        "/verification/",
        "/find-a-provider/",
        "/indirect-providers/",
        "/customers/",
        "/settings/legal/",
        "/settings/identifiers/",
        "/settings/users/",
        "/settings/partner-profile/",
    ],
    "admin@tailspin-cloud.example": ["/dashboard/", "/verification/", "/settings/legal/"],
    "admin@wingtip-systems.example": ["/dashboard/", "/verification/"],
    "admin@litware-solutions.example": ["/enroll/reseller/start/"],
    "admin@adatum-retail.example": ["/dashboard/", "/partner-relationships/"],
    "admin@proseware-italia.example": ["/dashboard/", "/partner-relationships/"],
    "admin@woodgrove-trattorie.example": ["/dashboard/", "/partner-relationships/"],
}


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # /outbox/ answers only with DEBUG on, as under `make run`
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent


def test_every_demo_user_is_listed_in_the_contract():
    assert {spec.email for spec in DEMO_ORGS} == set(PAGES)


@pytest.mark.parametrize("email", list(PAGES))
def test_demo_user_signs_in_with_the_password_and_opens_their_pages(client, demo, email):
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, f"{email} could not sign in"
    for path in PAGES[email]:
        page = client.get(path)
        assert page.status_code == 200, f"{email} got {page.status_code} on {path}"


def test_demo_subscriptions_open_for_their_three_parties(client, demo):
    """Commerce's demo: Northwind's customers' subscriptions through Contoso, each page readable
    by Contoso, Northwind and (for its own) the customer."""
    from commerce.models import Subscription

    subscriptions = list(Subscription.objects.select_related("customer"))
    assert len(subscriptions) >= 3
    for email in ("admin@contoso-distribution.example", "admin@northwind-it.example"):
        client.post("/accounts/login/", {"login": email, "password": PASSWORD})
        for subscription in subscriptions:
            assert client.get(f"/subscriptions/{subscription.pk}/").status_code == 200, email
        client.post("/accounts/logout/")
    client.post("/accounts/login/", {"login": "admin@adatum-retail.example", "password": PASSWORD})
    for subscription in subscriptions:
        expected = 200 if subscription.customer.primary_domain == "adatum-retail.example" else 404
        assert client.get(f"/subscriptions/{subscription.pk}/").status_code == expected
