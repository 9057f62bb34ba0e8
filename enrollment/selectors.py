from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from portal.models import Membership, Organization, User

from .models import (
    AgreementAcceptance,
    AgreementVersion,
    EnrollmentDraft,
    LegalProfile,
    PartnerId,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def agreement_current_version() -> AgreementVersion | None:
    return AgreementVersion.objects.order_by("-published_at").first()


def agreement_accepted(*, organization: Organization) -> bool:
    """True when the organization accepted the current Partner Agreement version."""
    current = agreement_current_version()
    return (
        current is not None
        and AgreementAcceptance.objects.filter(organization=organization, version=current).exists()
    )


def agreement_acceptance_current(
    *, organization: Organization, version: AgreementVersion | None
) -> AgreementAcceptance | None:
    if version is None:
        return None
    return (
        AgreementAcceptance.objects.filter(organization=organization, version=version)
        .select_related("accepted_by", "version")
        .first()
    )


def agreement_acceptance_latest(*, organization: Organization) -> AgreementAcceptance | None:
    """The organization's latest acceptance, of whichever version."""
    return (
        AgreementAcceptance.objects.filter(organization=organization)
        .select_related("version")
        .first()
    )


def legal_profile_for(*, organization: Organization | None) -> LegalProfile | None:
    """The organization's legal business profile, with its country and CSP region."""
    if organization is None:
        return None
    return (
        LegalProfile.objects.filter(organization=organization)
        .select_related("country__region")
        .first()
    )


def partner_id_associated(*, organization: Organization) -> PartnerId | None:
    """The PartnerID associated with the organization's CSP account, if any."""
    return (
        PartnerId.objects.filter(organization=organization, is_associated=True)
        .select_related("country")
        .first()
    )


def enrollment_draft_for(*, user: User | AnonymousUser) -> EnrollmentDraft | None:
    if not user.is_authenticated:
        return None
    return (
        EnrollmentDraft.objects.filter(user=user)
        .select_related("organization", "organization__country")
        .first()
    )


def member_list(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email", "pk")
    )


def global_admin_names(*, organization: Organization) -> list[str]:
    return [
        m.user.get_full_name()
        for m in Membership.objects.filter(organization=organization, global_admin=True)
        .select_related("user")
        .order_by("pk")[:5]
    ]


def partner_id_list(*, organization: Organization) -> QuerySet[PartnerId]:
    return PartnerId.objects.filter(organization=organization).select_related("country")


def program_status(*, organization: Organization, agreement_ok: bool) -> str:
    """Partner Center's program status: Pending qualification while vetting, Qualified once
    verified, Active once the Partner Agreement is accepted."""
    from django.utils.translation import gettext as _

    if organization.status == Organization.Status.VERIFIED:
        return _("Active") if agreement_ok else _("Qualified")
    if organization.status == Organization.Status.DRAFT:
        return _("Enrolment not finished")
    if organization.status in (Organization.Status.REJECTED, Organization.Status.CLOSED):
        return organization.get_status_display()
    return _("Pending qualification")
