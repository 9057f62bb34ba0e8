"""Reads. Selectors whose name ends in `_all_tenants` cross tenants on purpose: they serve the
operator's verification admins, and their views check that role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from portal.models import Organization, User

from .models import (
    OPEN_STATUSES,
    REVIEWER_WAIT_STATUSES,
    CaseEvent,
    CheckResult,
    Document,
    InfoRequest,
    VerificationCase,
)
from .services.core import ESCALATION_BUSINESS_DAYS, add_business_days

Status = VerificationCase.Status


@dataclass(frozen=True)
class AgeBucket:
    key: str
    low_days: int
    high_days: int | None  # exclusive; None: no upper bound


AGE_BUCKETS = [
    AgeBucket("0-1", 0, 1),
    AgeBucket("1-3", 1, 3),
    AgeBucket("3-6", 3, 6),
    AgeBucket("6-11", 6, 11),
    AgeBucket("11+", 11, None),
]


def case_for_organization(*, organization: Organization) -> VerificationCase | None:
    return (
        VerificationCase.objects.select_related("organization", "organization__legal_profile")
        .filter(organization=organization)
        .first()
    )


def case_timeline(*, case: VerificationCase) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "pk")


def case_open_info_request(*, case: VerificationCase) -> InfoRequest | None:
    return InfoRequest.objects.filter(case=case, answered_at__isnull=True).first()


def case_latest_info_request(*, case: VerificationCase) -> InfoRequest | None:
    return InfoRequest.objects.filter(case=case).select_related("requested_by").first()


def case_documents(*, case: VerificationCase) -> QuerySet[Document]:
    return Document.objects.filter(case=case).select_related("uploaded_by")


def case_checks(*, case: VerificationCase) -> QuerySet[CheckResult]:
    return CheckResult.objects.filter(case=case)


def document_for_organization(*, organization: Organization, pk: int) -> Document:
    return get_object_or_404(Document, organization=organization, pk=pk)


def document_for_review_all_tenants(*, pk: int) -> Document:
    return get_object_or_404(Document, pk=pk)


def case_for_review_all_tenants(*, pk: int) -> VerificationCase:
    return get_object_or_404(
        VerificationCase.objects.select_related(
            "organization",
            "organization__legal_profile",
            "organization__legal_profile__country",
            "organization__legal_profile__country__region",
            "assignee",
        ),
        pk=pk,
    )


def verification_admins_all_tenants() -> QuerySet[User]:
    return User.objects.filter(
        memberships__organization__kind=Organization.Kind.OPERATOR,
        memberships__verification_admin=True,
        is_active=True,
    ).distinct()


def case_queue_all_tenants(
    *,
    now: datetime,
    statuses: list[str] | None = None,
    country: str = "",
    region: int | None = None,
    age: str = "",
    assignee: str = "",
    failing: str = "",
    user: User | None = None,
    newest_first: bool = False,
) -> QuerySet[VerificationCase]:
    """The verification queue across every reseller: a fixed number of queries per page."""
    failing_count = (
        CheckResult.objects.filter(case=OuterRef("pk"), passed=False)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    cases = (
        VerificationCase.objects.filter(status__in=statuses or list(OPEN_STATUSES))
        .select_related(
            "organization",
            "organization__legal_profile",
            "organization__legal_profile__country",
            "organization__legal_profile__country__region",
            "assignee",
        )
        .annotate(failing_checks=Coalesce(Subquery(failing_count), Value(0)))
        .prefetch_related(
            Prefetch("checks", queryset=CheckResult.objects.filter(passed=False), to_attr="failed")
        )
    )
    if country:
        cases = cases.filter(organization__legal_profile__country_id=country)
    if region:
        cases = cases.filter(organization__legal_profile__country__region_id=region)
    bucket = next((b for b in AGE_BUCKETS if b.key == age), None)
    if bucket:
        cases = cases.filter(waiting_since__lte=now - timedelta(days=bucket.low_days))
        if bucket.high_days is not None:
            cases = cases.filter(waiting_since__gt=now - timedelta(days=bucket.high_days))
    if assignee == "me" and user is not None:
        cases = cases.filter(assignee=user)
    elif assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif assignee.isdigit():
        cases = cases.filter(assignee_id=int(assignee))
    if failing == "any":
        cases = cases.filter(Exists(CheckResult.objects.filter(case=OuterRef("pk"), passed=False)))
    elif failing in CheckResult.Name.values:
        cases = cases.filter(
            Exists(CheckResult.objects.filter(case=OuterRef("pk"), passed=False, name=failing))
        )
    order = ["-waiting_since", "-pk"] if newest_first else ["waiting_since", "pk"]
    return cases.order_by(*order)


def case_queue_counts_all_tenants() -> dict[str, int]:
    """How many cases are in each status (one query)."""
    totals = VerificationCase.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Status.values}
    )
    return {status: totals[status] or 0 for status in Status.values}


def case_queue_age_buckets_all_tenants(*, now: datetime) -> list[tuple[AgeBucket, int]]:
    """Cases waiting on reviewers, by how long they have waited (one query)."""
    filters = {}
    for bucket in AGE_BUCKETS:
        q = Q(waiting_since__lte=now - timedelta(days=bucket.low_days))
        if bucket.high_days is not None:
            q &= Q(waiting_since__gt=now - timedelta(days=bucket.high_days))
        filters[bucket.key] = Count("pk", filter=q)
    totals = VerificationCase.objects.filter(status__in=list(REVIEWER_WAIT_STATUSES)).aggregate(
        **filters
    )
    return [(bucket, totals[bucket.key] or 0) for bucket in AGE_BUCKETS]


def case_sla(case: VerificationCase, now: datetime) -> str:
    """ "over", "soon" or "ok" while reviewers hold the case; "partner" while the partner does;
    "" once decided."""
    if case.status in REVIEWER_WAIT_STATUSES:
        if now > add_business_days(case.waiting_since, ESCALATION_BUSINESS_DAYS):
            return "over"
        if now > add_business_days(case.waiting_since, ESCALATION_BUSINESS_DAYS - 1):
            return "soon"
        return "ok"
    if case.status in OPEN_STATUSES:
        return "partner"
    return ""
