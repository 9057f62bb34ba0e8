import pytest

from relationships.models import ProviderRelationship
from relationships.selectors import customers_shared_with_provider, invitation_by_key
from tests.relationships.factories import (
    CustomerInvitationFactory,
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    provider_org,
)

pytestmark = pytest.mark.django_db


def test_customers_shared_with_provider_shows_exactly_what_relationships_allow():
    provider = provider_org()
    pair = ProviderRelationshipFactory(provider=provider)
    shared = CustomerRelationshipFactory(relationship=pair)
    # Same reseller, shared with another provider only: invisible.
    other_pair = ProviderRelationshipFactory(reseller=pair.reseller)
    CustomerRelationshipFactory(relationship=other_pair)
    # Shared with this provider by a reseller whose relationship with it ended: invisible.
    ended_pair = ProviderRelationshipFactory(provider=provider)
    CustomerRelationshipFactory(relationship=ended_pair)
    ended_pair.status = ProviderRelationship.Status.ENDED
    ended_pair.save()
    # Another reseller's customers not shared with anyone here: invisible.
    CustomerRelationshipFactory()

    assert list(customers_shared_with_provider(provider=provider)) == [shared]


def test_re_authorized_pair_shows_customers_again():
    pair = ProviderRelationshipFactory()
    shared = CustomerRelationshipFactory(relationship=pair)
    pair.status = ProviderRelationship.Status.ENDED
    pair.save()
    assert not customers_shared_with_provider(provider=pair.provider).exists()
    ProviderRelationshipFactory(provider=pair.provider, reseller=pair.reseller)
    assert list(customers_shared_with_provider(provider=pair.provider)) == [shared]


def test_invitation_by_key_finds_either_kind_and_rejects_malformed_keys():
    reseller_invitation = ResellerInvitationFactory()
    customer_invitation = CustomerInvitationFactory()
    assert invitation_by_key(reseller_invitation.key) == reseller_invitation
    assert invitation_by_key(customer_invitation.key) == customer_invitation
    assert invitation_by_key(reseller_invitation.key[:-1] + "!") is None
    assert invitation_by_key("") is None
    assert invitation_by_key("a" * 43) is None
