import pytest
from django.utils import timezone

from enrollment.models import AgreementAcceptance, AgreementVersion
from portal.models import Organization
from tests.factories import member

pytestmark = pytest.mark.django_db

URL = "/settings/partner-profile/"


def test_program_info_of_a_verified_reseller_without_agreement_is_qualified(
    client_for, reseller_admin
):
    page = client_for(reseller_admin).get(URL).text
    assert "Indirect reseller" in page
    assert "Qualified" in page
    assert "Italy" in page
    assert "Not accepted (current version 2026-01)" in page


def test_program_info_is_active_once_the_agreement_is_accepted(client_for, reseller_admin):
    version = AgreementVersion.objects.get(version="2026-01")
    AgreementAcceptance.objects.create(
        organization=reseller_admin.organization,
        version=version,
        accepted_by=reseller_admin.user,
        first_name="Pat",
        last_name="Person",
        title="CEO",
        email=reseller_admin.user.email,
        accepted_on=timezone.localdate(),
    )
    page = client_for(reseller_admin).get(URL).text
    assert "Active" in page
    assert "Accepted (version 2026-01)" in page


def test_program_info_is_pending_qualification_while_vetting(client_for):
    admin = member()
    admin.organization.status = Organization.Status.SUBMITTED
    admin.organization.save()
    assert "Pending qualification" in client_for(admin).get(URL).text
