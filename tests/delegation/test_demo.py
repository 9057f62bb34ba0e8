import pytest

from delegation.selectors import dap_access_for
from devtools.demo import delegation as demo
from devtools.demo import portal as portal_demo
from devtools.demo import relationships as relationships_demo
from portal.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_demo_contoso_administers_adatum_only_and_northwind_all_three():
    portal_demo.seed()
    relationships_demo.seed()
    demo.seed()
    demo.seed()  # idempotent
    contoso_admin = Membership.objects.get(
        organization__primary_domain="contoso-distribution.example"
    ).user
    northwind_admin = Membership.objects.get(
        organization__primary_domain="northwind-it.example"
    ).user
    customers = {
        org.primary_domain: org
        for org in Organization.objects.filter(kind=Organization.Kind.CUSTOMER)
    }
    administered = {
        domain for domain, org in customers.items() if dap_access_for(contoso_admin, org)
    }
    assert administered == {"adatum-retail.example"}
    assert all(dap_access_for(northwind_admin, org) for org in customers.values())
