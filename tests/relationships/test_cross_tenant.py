"""A third provider and a third reseller see none of Contoso/Northwind-like data: lists stay
empty, CSV exports carry only a header, and every object URL is a 404 with nothing changed."""

import csv
import io

import pytest

from commerce.models import Offer, Subscription
from relationships.models import (
    CustomerRelationship,
    InvitationStatus,
    ProviderRelationship,
)
from tests.commerce.factories import subscription_for
from tests.factories import member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ResellerInvitationFactory,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db
# The confirm page's button: without it an irreversible action only asks (portal/confirm.py).
CONFIRM = {"confirmed": "yes"}


@pytest.fixture
def world():
    shared = CustomerRelationshipFactory()
    subscription = subscription_for(shared)
    invitation = ResellerInvitationFactory(organization=shared.provider)
    return {
        "shared": shared,
        "relationship": ProviderRelationship.objects.get(),
        "subscription": subscription,
        "invitation": invitation,
        "third_provider": member(provider_org()),
        "third_reseller": member(reseller_org()),
    }


def _csv_body_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]


def test_third_provider_lists_show_nothing(client_for, world):
    client = client_for(world["third_provider"])
    names = [
        world["shared"].customer.legal_name,
        world["shared"].reseller.legal_name,
        world["invitation"].email,
    ]
    for path in ("/indirect-resellers/", "/customers/"):
        text = client.get(path).text
        assert not any(name in text for name in names), path
    for path in (
        "/indirect-resellers/export.csv",
        "/customers/export.csv",
        "/customers/?format=csv",
    ):
        assert _csv_body_rows(client.get(path)) == [], path


def test_third_reseller_lists_show_nothing(client_for, world):
    client = client_for(world["third_reseller"])
    names = [world["shared"].customer.legal_name, world["shared"].provider.legal_name]
    for path in ("/indirect-providers/", "/customers/"):
        text = client.get(path).text
        assert not any(name in text for name in names), path
    for path in ("/indirect-providers/export.csv", "/customers/export.csv"):
        assert _csv_body_rows(client.get(path)) == [], path


def test_third_provider_gets_404_for_every_object_and_changes_nothing(client_for, world):
    client = client_for(world["third_provider"])
    customer_id = world["shared"].customer_id
    relationship = world["relationship"]
    invitation = world["invitation"]
    assert client.get(f"/customers/{customer_id}/").status_code == 404
    order = {"offer": Offer.objects.first().pk, "quantity": 1, "term": "monthly"}
    response = client.post(f"/customers/{customer_id}/order/", order)
    missing = client.post("/customers/999999/order/", order)
    assert response.status_code == missing.status_code == 404
    assert client.get(f"/subscriptions/{world['subscription'].pk}/").status_code == 404
    assert client.post(f"/indirect-resellers/{relationship.pk}/end/", CONFIRM).status_code == 404
    for action in ("resend", "revoke"):
        url = f"/indirect-resellers/invitations/{invitation.pk}/{action}/"
        assert client.post(url, CONFIRM).status_code == 404
    assert Subscription.objects.count() == 1
    relationship.refresh_from_db()
    assert relationship.status == ProviderRelationship.Status.ACTIVE
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_third_reseller_gets_404_for_every_object_and_changes_nothing(client_for, world):
    client = client_for(world["third_reseller"])
    relationship = world["relationship"]
    assert client.get(f"/customers/{world['shared'].customer_id}/").status_code == 404
    for action in ("end", "remove-admin-access"):
        url = f"/indirect-providers/{relationship.pk}/{action}/"
        assert client.post(url, CONFIRM).status_code == 404
    relationship.refresh_from_db()
    assert relationship.status == ProviderRelationship.Status.ACTIVE
    assert relationship.admin_access is True
    assert CustomerRelationship.objects.get().status == CustomerRelationship.Status.ACTIVE


def test_provider_pages_are_404_for_resellers_and_reseller_pages_for_providers(client_for, world):
    reseller_client = client_for(world["third_reseller"])
    provider_client = client_for(world["third_provider"])
    for path in ("/indirect-resellers/", "/indirect-resellers/export.csv"):
        assert reseller_client.get(path).status_code == 404
    for path in ("/indirect-providers/", "/find-a-provider/", "/indirect-providers/export.csv"):
        assert provider_client.get(path).status_code == 404


def test_customer_org_member_cannot_read_relationship_lists(client_for, world):
    from relationships.models import CustomerRelationship as CR

    customer = CR.objects.get().customer
    client = client_for(member(customer))
    for path in ("/customers/", "/indirect-providers/", "/indirect-resellers/"):
        assert client.get(path).status_code == 404


def test_provider_places_order_from_customer_page_and_is_refused_after_the_relationship_ends(
    client_for, world
):
    shared = world["shared"]
    client = client_for(member(shared.provider))
    page = client.get(f"/customers/{shared.customer_id}/")
    assert "Place an order" in page.text
    url = f"/customers/{shared.customer_id}/order/"
    assert f'href="{url}"' in page.text
    order = {
        "offer": Offer.objects.get(code="object-storage").pk,
        "quantity": 2,
        "term": "monthly",
        "billing_frequency": "monthly",
    }
    response = client.post(url, order)
    assert response.status_code == 302
    assert Subscription.objects.filter(offer__code="object-storage").count() == 1
    client_for(member(shared.reseller)).post(
        f"/indirect-providers/{world['relationship'].pk}/end/", CONFIRM
    )
    assert client.get(f"/customers/{shared.customer_id}/").status_code == 404
    assert client.post(url, order).status_code == 404
    assert Subscription.objects.filter(offer__code="object-storage").count() == 1
