import pytest

from devtools.demo import portal as portal_demo
from devtools.demo import relationships as demo
from portal.models import Organization
from relationships.models import CustomerRelationship, ProviderRelationship
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
    assert list(contoso.provider_profile.regions.values_list("name", flat=True)) == ["Europe"]
    assert list(fabrikam.provider_profile.regions.values_list("name", flat=True)) == [
        "United States"
    ]


def test_demo_pages_contoso_sees_northwinds_customers_fabrikam_sees_none(client):
    from portal.models import User

    portal_demo.seed()
    demo.seed()
    client.force_login(User.objects.get(email="admin@contoso-distribution.example"))
    text = client.get("/customers/").text
    for name in ("Adatum Retail S.p.A.", "Proseware Italia S.r.l.", "Woodgrove Trattorie S.p.A."):
        assert name in text
    assert "Northwind IT S.r.l." in client.get("/indirect-resellers/").text
    client.force_login(User.objects.get(email="admin@fabrikam-supply.example"))
    assert "No customers to show." in client.get("/customers/").text
    assert "Northwind" not in client.get("/indirect-resellers/").text
    client.force_login(User.objects.get(email="admin@northwind-it.example"))
    text = client.get("/indirect-providers/").text
    assert "Contoso Distribution" in text
    text = client.get("/find-a-provider/").text
    # Northwind is Italian: its admin reads the page, and the region's name, in Italian.
    assert "Non disponibile nella tua area (Europa)" in text
