import pytest

from delegation.models import GdapRelationship
from devtools.demo import portal as portal_demo
from devtools.demo import relationships as relationships_demo
from devtools.demo.delegation_gdap import seed_gdap_demo
from relationships.selectors import customer_rows

pytestmark = pytest.mark.django_db


def test_contoso_waits_for_a_second_northwind_customers_answer():
    portal_demo.seed()
    relationships_demo.seed()
    seed_gdap_demo()
    seed_gdap_demo()  # idempotent
    request = GdapRelationship.objects.select_related("partner", "customer").get()
    assert request.status == GdapRelationship.Status.PENDING
    assert request.partner.legal_name == "Contoso Distribution"
    assert request.customer.legal_name == "Proseware Italia S.r.l."
    assert customer_rows(organization=request.partner, customer_id=request.customer_id)
    assert request.request_expires_at > request.requested_at
