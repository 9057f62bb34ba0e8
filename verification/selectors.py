"""Reads. Selectors whose name ends in `_all_tenants` cross tenants on purpose: they serve the
operator's verification admins, and their views check that role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone

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
from .paging import capped_counts
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
) -> QuerySet[VerificationCase]:
    """The verification queue across every reseller, unordered (the page orders it and reads
    it by keyset). Indexes: `vcase_open_waiting` serves every open status in waiting order,
    `vcase_status_waiting` one status."""
    cases = VerificationCase.objects.filter(
        status__in=statuses or list(OPEN_STATUSES)
    ).select_related(
        "organization",
        "organization__legal_profile",
        "organization__legal_profile__country",
        "organization__legal_profile__country__region",
        "assignee",
    )
    if country:
        cases = cases.filter(organization__legal_profile__country_id=country)
    if region:
        cases = cases.filter(organization__legal_profile__country__region_id=region)
    bucket = next((b for b in AGE_BUCKETS if b.key == age), None)
    if bucket:
        cases = cases.filter(_bucket_q(bucket, now))
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
    return cases


def case_queue_rows_prefetch(cases: list[VerificationCase]) -> list[VerificationCase]:
    """The failing checks of a page's rows, read for those rows only (one query)."""
    prefetch_related_objects(
        cases,
        Prefetch("checks", queryset=CheckResult.objects.filter(passed=False), to_attr="failed"),
    )
    return cases


def _bucket_q(bucket: AgeBucket, now: datetime) -> Q:
    q = Q(waiting_since__lte=now - timedelta(days=bucket.low_days))
    if bucket.high_days is not None:
        q &= Q(waiting_since__gt=now - timedelta(days=bucket.high_days))
    return q


QUEUE_COUNTS_CACHE_KEY = "verification:queue-counts:v1"
QUEUE_COUNTS_SECONDS = 60


def case_queue_counts_all_tenants(*, now: datetime | None = None) -> dict[str, int]:
    """Cases per status and, under "age:<bucket key>", cases waiting on reviewers by age.
    Each count stops at COUNT_CAP + 1 (the page says "10,000+"); all of them come from one
    index-only query, kept QUEUE_COUNTS_SECONDS in the cache (the queue's figures may lag a
    minute behind; the list itself never does)."""
    cached = cache.get(QUEUE_COUNTS_CACHE_KEY)
    if cached is not None:
        return cached
    now = now or timezone.now()
    querysets: dict[str, QuerySet[VerificationCase]] = {
        status: VerificationCase.objects.filter(status=status) for status in Status.values
    }
    waiting = VerificationCase.objects.filter(status__in=list(REVIEWER_WAIT_STATUSES))
    for bucket in AGE_BUCKETS:
        querysets[f"age:{bucket.key}"] = waiting.filter(_bucket_q(bucket, now))
    counts = capped_counts(querysets)
    cache.set(QUEUE_COUNTS_CACHE_KEY, counts, QUEUE_COUNTS_SECONDS)
    return counts


def case_queue_age_buckets_all_tenants(*, now: datetime) -> list[tuple[AgeBucket, int]]:
    """Cases waiting on reviewers, by how long they have waited (capped, cached counts)."""
    counts = case_queue_counts_all_tenants(now=now)
    return [(bucket, counts[f"age:{bucket.key}"]) for bucket in AGE_BUCKETS]


def case_queue_total_all_tenants(cases: QuerySet[VerificationCase], key: str) -> int:
    """How many cases match the queue's filters, capped; cached briefly per filter."""
    cache_key = f"verification:queue-total:v1:{key}"
    total = cache.get(cache_key)
    if total is None:
        total = capped_counts({"total": cases})["total"]
        cache.set(cache_key, total, QUEUE_COUNTS_SECONDS)
    return total


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
