from datetime import timedelta

import pytest
from django.utils import timezone

from relationships.models import InvitationStatus
from relationships.tasks import relationships_expire_invitations
from tests.relationships.factories import CustomerInvitationFactory, ResellerInvitationFactory

pytestmark = pytest.mark.django_db


def test_due_invitations_expire_once_and_live_ones_stay_pending():
    past = timezone.now() - timedelta(minutes=1)
    due_reseller = ResellerInvitationFactory(expires_at=past)
    due_customer = CustomerInvitationFactory(expires_at=past)
    live = ResellerInvitationFactory()
    assert relationships_expire_invitations() == 2
    assert relationships_expire_invitations() == 0
    for invitation, status in (
        (due_reseller, InvitationStatus.EXPIRED),
        (due_customer, InvitationStatus.EXPIRED),
        (live, InvitationStatus.PENDING),
    ):
        invitation.refresh_from_db()
        assert invitation.status == status
