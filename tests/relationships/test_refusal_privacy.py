"""The invite form tells a provider nothing about a tenant it has no relationship with: not its
name, CSP region, or which company owns a PartnerID."""

import pytest

from enrollment.models import PartnerId
from portal.models import Market
from relationships.models import ResellerInvitation
from tests.factories import member
from tests.relationships.factories import ProviderRelationshipFactory, provider_org, reseller_org

pytestmark = pytest.mark.django_db

INVITE = "/indirect-resellers/invite/"


@pytest.mark.parametrize(
    ("email", "partner_id"),
    [
        ("admin@litware-us.example", ""),  # a registered reseller in another region
        ("someone@unknown.example", "7654321"),  # a PartnerID owned by that reseller
        ("admin@fabrikam-eu.example", "7654321"),  # another company's PartnerID
    ],
)
def test_invite_form_reveals_no_other_tenant_to_a_provider_without_a_relationship(
    client_for, email, partner_id
):
    provider_admin = member(provider_org())
    stranger = reseller_org(
        country="US", primary_domain="litware-us.example", legal_name="Litware Inc."
    )
    reseller_org(primary_domain="fabrikam-eu.example", legal_name="Fabrikam Europa")
    PartnerId.objects.create(
        organization=stranger, mpn_id="7654321", country=Market.objects.get(code="US")
    )

    response = client_for(provider_admin).post(
        INVITE, {"email": email, "partner_id": partner_id}, follow=True
    )

    assert response.status_code == 200
    assert "Invitation sent to" in response.text
    assert "stays in your pending invitations" in response.text
    for secret in ("Litware Inc.", "Fabrikam Europa", "United States"):
        assert secret not in response.text
    assert ResellerInvitation.objects.filter(email=email).exists()


def test_invite_form_names_a_reseller_the_provider_already_works_with(client_for):
    relationship = ProviderRelationshipFactory()
    reseller = relationship.reseller
    response = client_for(member(relationship.provider)).post(
        INVITE, {"email": f"boss@{reseller.primary_domain}"}
    )
    assert response.status_code == 400
    assert f"{reseller.legal_name} is already one of your indirect resellers." in response.text
