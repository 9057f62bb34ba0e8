"""Service rules hold whatever the door (view, admin action, task)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from enrollment.models import AgreementAcceptance, AgreementVersion, EnrollmentDraft
from enrollment.services import (
    agreement_accept,
    enrollment_start,
    enrollment_submit,
    legal_profile_update,
    member_add,
    membership_remove,
    membership_roles_update,
)
from portal.models import Membership, Organization
from tests.enrollment.factories import drafting_user
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


def test_starting_twice_returns_the_same_draft():
    draft = drafting_user()
    assert enrollment_start(actor=draft.user) == draft
    assert (
        Organization.objects.filter(primary_domain=draft.organization.primary_domain).count() == 1
    )


def test_a_consumer_mail_account_cannot_start_an_enrolment():
    user = UserFactory(email="someone@gmail.com")
    with pytest.raises(ValidationError):
        enrollment_start(actor=user)
    assert not EnrollmentDraft.objects.exists()


def test_a_member_of_an_organization_cannot_start_another(reseller_admin):
    with pytest.raises(ValidationError) as error:
        enrollment_start(actor=reseller_admin.user)
    assert reseller_admin.organization.legal_name in error.value.messages[0]


def test_an_incomplete_draft_cannot_be_submitted():
    draft = drafting_user(through="legal")
    with pytest.raises(ValidationError) as error:
        enrollment_submit(draft=draft, actor=draft.user)
    assert error.value.step == "contact"
    assert Organization.objects.get(pk=draft.organization_id).status == Organization.Status.DRAFT


def test_only_global_admins_manage_users_even_outside_a_view(reseller_admin):
    agent = member(reseller_admin.organization, admin_agent=True)
    with pytest.raises(PermissionDenied):
        membership_roles_update(membership=reseller_admin, actor=agent.user, roles={"sales_agent"})
    with pytest.raises(PermissionDenied):
        membership_remove(membership=reseller_admin, actor=agent.user)
    with pytest.raises(PermissionDenied):
        member_add(
            organization=reseller_admin.organization,
            actor=agent.user,
            email=f"new@{reseller_admin.organization.primary_domain}",
            first_name="N",
            last_name="N",
            roles={"sales_agent"},
        )
    assert Membership.objects.filter(organization=reseller_admin.organization).count() == 2


def test_a_global_admin_of_another_tenant_cannot_touch_this_one(reseller_admin, other_tenant_admin):
    with pytest.raises(PermissionDenied):
        membership_remove(membership=reseller_admin, actor=other_tenant_admin.user)
    assert Membership.objects.filter(pk=reseller_admin.pk).exists()


def test_only_global_admins_accept_the_agreement_even_outside_a_view(reseller_admin):
    agent = member(reseller_admin.organization, admin_agent=True)
    with pytest.raises(PermissionDenied):
        agreement_accept(
            organization=reseller_admin.organization,
            actor=agent.user,
            version=AgreementVersion.objects.get(version="2026-01"),
            first_name="A",
            last_name="B",
            title="C",
            email=agent.user.email,
            accepted_on=timezone.localdate(),
            ip_address=None,
        )
    assert not AgreementAcceptance.objects.exists()


def test_legal_name_and_country_cannot_be_changed_by_the_service(reseller_admin):
    from tests.factories import profile_for

    profile = profile_for(reseller_admin.organization)
    with pytest.raises(ValidationError):
        legal_profile_update(
            profile=profile, actor=reseller_admin.user, changes={"legal_name": "X"}
        )
    profile.refresh_from_db()
    assert profile.legal_name == reseller_admin.organization.legal_name
