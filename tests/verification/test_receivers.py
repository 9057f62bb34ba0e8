"""Enrolment tells verification through signals (enrollment/signals.py); verification's
receivers run inside enrolment's transaction, so a failure leaves nothing half-written."""

from unittest import mock

import pytest

from enrollment.services import legal_profile_update
from enrollment.signals import legal_profile_changed
from verification.models import CaseEvent

pytestmark = pytest.mark.django_db


def test_a_legal_info_edit_tells_who_changed_which_fields(partner, open_case):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    legal_profile_changed.connect(receiver)
    try:
        legal_profile_update(
            profile=partner.organization.legal_profile,
            actor=partner.user,
            changes={"city": "Torino"},
        )
    finally:
        legal_profile_changed.disconnect(receiver)
    assert received == [
        {
            "signal": legal_profile_changed,
            "organization": partner.organization,
            "actor": partner.user,
            "fields": ["city"],
        }
    ]


def test_the_edit_is_undone_when_verification_cannot_record_it(partner, open_case):
    profile = partner.organization.legal_profile
    city = profile.city
    with (
        mock.patch("verification.services.case_details_changed", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        legal_profile_update(profile=profile, actor=partner.user, changes={"city": "Torino"})
    profile.refresh_from_db()
    assert profile.city == city
    assert not open_case.events.filter(type=CaseEvent.Type.DETAILS_CHANGED).exists()
