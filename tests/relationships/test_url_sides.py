"""Each side acts only through its own URLs (DOMAIN.md's URL map): `/indirect-resellers/...` is
the provider's, `/indirect-providers/...` the reseller's. Every action URL works for its side,
and is a 404 (never a 403) for the other side of the same relationship, which changes nothing."""

from __future__ import annotations

import pytest

from relationships.models import InvitationStatus, ProviderRelationship
from tests.factories import member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
)

pytestmark = pytest.mark.django_db
# The confirm page's button: without it an irreversible action only asks (portal/confirm.py).
CONFIRMED = {"confirmed": "yes"}


def _state(relationship: ProviderRelationship) -> tuple[str, bool]:
    relationship.refresh_from_db()
    return relationship.status, relationship.admin_access


@pytest.mark.parametrize(
    ("own", "other", "path", "after"),
    [
        ("provider", "reseller", "/indirect-resellers/{pk}/end/", ("ended", False)),
        ("reseller", "provider", "/indirect-providers/{pk}/end/", ("ended", False)),
        (
            "reseller",
            "provider",
            "/indirect-providers/{pk}/remove-admin-access/",
            ("active", False),
        ),
    ],
)
def test_relationship_actions_answer_only_their_side(client_for, own, other, path, after):
    relationship = ProviderRelationshipFactory()
    url = path.format(pk=relationship.pk)
    stranger = client_for(member(getattr(relationship, other)))
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, CONFIRMED).status_code == 404
    assert _state(relationship) == ("active", True)
    owner = client_for(member(getattr(relationship, own)))
    assert owner.get(url).status_code == 200
    assert owner.post(url, CONFIRMED).status_code == 302
    assert _state(relationship) == after


@pytest.mark.parametrize(
    "path",
    [
        # The provider's URL of an action only the reseller takes: unknown on either side.
        "/indirect-resellers/{pk}/remove-admin-access/",
        "/indirect-providers/{pk}/remove-partnership/",
    ],
)
def test_an_action_of_no_side_is_a_404_to_both(client_for, path):
    relationship = ProviderRelationshipFactory()
    for side in ("provider", "reseller"):
        client = client_for(member(getattr(relationship, side)))
        assert client.post(path.format(pk=relationship.pk), CONFIRMED).status_code == 404
    assert _state(relationship) == ("active", True)


def test_reseller_invitation_actions_are_the_providers(client_for):
    invitation = ResellerInvitationFactory()
    invitee = ProviderRelationshipFactory(provider=invitation.organization).reseller
    url = f"/indirect-resellers/invitations/{invitation.pk}/revoke/"
    assert client_for(member(invitee)).post(url, CONFIRMED).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert client_for(member(invitation.organization)).post(url, CONFIRMED).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED


def test_customer_invitation_actions_are_the_resellers(client_for):
    invitation = CustomerInvitationFactory()
    url = f"/indirect-providers/invite-customer/{invitation.pk}/revoke/"
    assert client_for(member(invitation.provider)).post(url, CONFIRMED).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert client_for(member(invitation.organization)).post(url, CONFIRMED).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
