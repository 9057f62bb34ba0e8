import pytest

from portal import demo as portal_demo
from portal.models import Organization
from relationships import demo
from relationships.models import CustomerRelationship, Order, ProviderRelationship
from relationships.selectors import customers_shared_with_provider

pytestmark = pytest.mark.django_db


def test_demo_northwind_shares_three_customers_with_contoso_and_fabrikam_sees_none():
    portal_demo.seed()
    demo.seed()
    demo.seed()  # idempotent
    contoso = Organization.objects.get(legal_name="Contoso Distribution")
    fabrikam = Organization.objects.get(legal_name="Fabrikam Supply")
    relationship = ProviderRelationship.objects.get()
    assert relationship.provider == contoso
    assert relationship.reseller.legal_name == "Northwind IT S.r.l."
    assert relationship.admin_access
    names = set(
        customers_shared_with_provider(provider=contoso).values_list(
            "customer__legal_name", flat=True
        )
    )
    assert names == {
        "Adatum Retail S.p.A.",
        "Proseware Italia S.r.l.",
        "Woodgrove Trattorie S.p.A.",
    }
    assert not customers_shared_with_provider(provider=fabrikam).exists()
    assert CustomerRelationship.objects.count() == 3
    assert Order.objects.count() == 2
    assert list(contoso.provider_profile.regions.values_list("name", flat=True)) == ["Europe"]
    assert list(fabrikam.provider_profile.regions.values_list("name", flat=True)) == [
        "United States"
    ]
