from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import router
from django.db.models import Model, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from portal.models import Market, Membership, Organization, User
from portal.sqlmemo import memo_rows, memo_rows_of_values

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


# What `enrollment_draft_for` reads: the draft, its organization and the organization's
# country, each model's concrete columns in order (the draft's answers as JSON text).
_DRAFT_PATHS: tuple[tuple[type[Model], str], ...] = (
    (EnrollmentDraft, ""),
    (Organization, "organization__"),
    (Market, "organization__country__"),
)


def _draft_columns() -> list[str]:
    return [
        "data_text" if model is EnrollmentDraft and field.name == "data" else prefix + field.attname
        for model, prefix in _DRAFT_PATHS
        for field in model._meta.concrete_fields
    ]


def enrollment_draft_for(*, user: User | AnonymousUser) -> EnrollmentDraft | None:
    """The user's wizard draft with its organization and that organization's country, as
    `select_related` would give them, from SQL compiled once (`portal.sqlmemo`): building and
    compiling the joined query was ~30% of a wizard step POST's CPU (issue 21). The answers are
    read as JSON text and parsed here (a JSON column's converter would keep the memo from
    replaying the query)."""
    if not user.is_authenticated:
        return None

    def build(user_id: int) -> QuerySet:
        return (
            EnrollmentDraft.objects.filter(user_id=user_id)
            .annotate(data_text=Cast("data", TextField()))
            .order_by()
            .values_list(*_draft_columns(), named=True)[:1]
        )

    rows = memo_rows_of_values(("enrollment.draft_for",), build, [user.pk])
    if not rows:
        return None
    values = list(rows[0])
    db = router.db_for_read(EnrollmentDraft)
    made: list[Model | None] = []
    for model, _prefix in _DRAFT_PATHS:
        fields = model._meta.concrete_fields
        own, values = values[: len(fields)], values[len(fields) :]
        if own[0] is None:  # no organization (or country): the LEFT JOIN's empty columns
            made.append(None)
            continue
        if model is EnrollmentDraft:
            at = next(n for n, field in enumerate(fields) if field.name == "data")
            own[at] = json.loads(own[at])
        made.append(model.from_db(db, [field.attname for field in fields], own))
    draft, organization, country = made
    assert isinstance(draft, EnrollmentDraft)
    if organization is not None:
        Organization.country.field.set_cached_value(organization, country)
    EnrollmentDraft.organization.field.set_cached_value(draft, organization)
    return draft


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
