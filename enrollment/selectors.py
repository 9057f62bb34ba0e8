from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import router
from django.db.models import OuterRef, QuerySet, Subquery

from portal.models import Membership, Organization, User
from portal.sqlmemo import memo_instance, memo_rows

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


@dataclass(frozen=True)
class AgreementStanding:
    """The dashboard's Partner Agreement panel in one row: the current version, when the
    organization accepted it (None: not yet), and the version it accepted last."""

    version: AgreementVersion
    accepted_at: datetime | None
    latest_accepted_version: str | None


def agreement_standing(*, organization: Organization) -> AgreementStanding | None:
    """The current version with the organization's acceptances of it and of any version, in ONE
    query compiled once per organization (`portal.sqlmemo`): the panel took three, each ~1 ms of
    ORM CPU (issue 21). None when no version is published."""
    fields = ("pk", "version", "title", "body", "published_at")

    def build(_cursor: object) -> QuerySet:
        acceptances = AgreementAcceptance.objects.filter(organization_id=organization.pk)
        return (
            AgreementVersion.objects.order_by("-published_at")
            .annotate(
                current_accepted_at=Subquery(
                    acceptances.filter(version_id=OuterRef("pk")).values("accepted_at")[:1]
                ),
                latest_accepted_version=Subquery(
                    acceptances.order_by("-accepted_at").values("version__version")[:1]
                ),
            )
            .values_list(*fields, "current_accepted_at", "latest_accepted_version", named=True)[:1]
        )

    rows = memo_rows(("enrollment.agreement_standing", organization.pk), build, None)
    if not rows:
        return None
    row = rows[0]
    version = AgreementVersion.from_db(
        router.db_for_read(AgreementVersion), ["id", *fields[1:]], list(row[: len(fields)])
    )
    return AgreementStanding(version, row.current_accepted_at, row.latest_accepted_version)


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
    """The user's wizard draft with its organization and that organization's country, as
    `select_related` would give them, from SQL compiled once (`portal.sqlmemo.memo_instance`):
    building and compiling the joined query was ~30% of a wizard step POST's CPU (issue 21)."""
    if not user.is_authenticated:
        return None
    return memo_instance(
        "enrollment.draft_for",
        EnrollmentDraft,
        ((), ("organization",), ("organization", "country")),
        lambda user_id: EnrollmentDraft.objects.filter(user_id=user_id),
        [user.pk],
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
