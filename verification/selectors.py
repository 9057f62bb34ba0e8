"""Reads. Selectors whose name ends in `_all_tenants` cross tenants on purpose: they serve the
operator's verification admins, and their views check that role."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from enrollment.models import LegalProfile
from portal.models import Organization, User
from portal.paging import capped_counts
from portal.sqlmemo import memo_instance, memo_rows, memo_rows_of_ids

from .deadlines import ESCALATION_BUSINESS_DAYS, escalation_due_at, escalation_warning_at
from .models import (
    OPEN_STATUSES,
    REVIEWER_WAIT_STATUSES,
    CaseEvent,
    CheckResult,
    Document,
    InfoRequest,
    VerificationCase,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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


def case_status_for(*, organization: Organization) -> str | None:
    """The status of the organization's verification case (None: it has none); the SQL compiled
    once per organization (`portal.sqlmemo`: the dashboard's panel, ~1 ms of CPU, issue 21)."""

    def build(_cursor: object) -> QuerySet:
        return VerificationCase.objects.filter(organization_id=organization.pk).values_list(
            "status", named=True
        )[:1]

    rows = memo_rows(("verification.case_status_for", organization.pk), build, None)
    return rows[0][0] if rows else None


def case_timeline(*, case: VerificationCase) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "pk")


def case_latest_info_request(*, case: VerificationCase) -> InfoRequest | None:
    return InfoRequest.objects.filter(case=case).first()


def case_documents(*, case: VerificationCase) -> QuerySet[Document]:
    return Document.objects.filter(case=case).select_related("uploaded_by")


def case_checks(*, case: VerificationCase) -> QuerySet[CheckResult]:
    return CheckResult.objects.filter(case=case)


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _case_records(
    model: Any,
    case_id: int,
    fields: Sequence[str],
    *,
    order_by: Sequence[str],
    json_fields: Sequence[str] = (),
    user: str | None = None,
    limit: int | None = None,
) -> list[Any]:
    """One case's `model` instances with `fields` (and `json_fields`, and the `user` relation as
    `select_related` builds it, with what `get_full_name` reads), read as values through SQL
    compiled once per process (portal/sqlmemo.py: the case is the marker). A JSON column is read
    as its text (`Cast`) and parsed here, as the ORM's converter would have: the memo replays
    rows without converters."""
    user_columns = (
        [f"{user}_id", f"{user}__first_name", f"{user}__last_name", f"{user}__email"]
        if user
        else []
    )

    def build(ids: list[int]) -> QuerySet:
        rows = (
            model.objects.filter(case_id__in=ids)
            .annotate(**{f"{name}_text": Cast(name, TextField()) for name in json_fields})
            .order_by(*order_by)
            .values_list("pk", *fields, *(f"{name}_text" for name in json_fields), *user_columns)
        )
        return rows[:limit] if limit else rows

    key = f"verification:review_case_{model._meta.model_name}"
    plain, parsed = len(fields) + 1, len(fields) + 1 + len(json_fields)
    instances = []
    for row in memo_rows_of_ids(key, build, [case_id]):
        instance = model(case_id=case_id, **dict(zip(("pk", *fields), row[:plain], strict=True)))
        for name, text in zip(json_fields, row[plain:parsed], strict=True):
            setattr(instance, name, _json(text))
        if user:
            pk, first_name, last_name, email = row[parsed:]
            related = None
            if pk is not None:
                related = User(pk=pk, first_name=first_name, last_name=last_name, email=email)
            setattr(instance, user, related)
        instances.append(instance)
    return instances


def case_review_records(*, case_id: int) -> dict[str, Any]:
    """The reviewer's case page's checks, timeline, documents and last request for information
    (`case_checks`, `case_timeline`, `case_documents`, `case_latest_info_request`): the same
    instances with what the page shows, read as values through SQL compiled once per process.
    Compiling the four querysets cost ~2.5 ms of CPU of /review/<case>/ (issue 21), more than
    PostgreSQL spent running them."""
    return {
        "checks": _case_records(
            CheckResult,
            case_id,
            ("name", "passed", "checked_at"),
            json_fields=("evidence",),
            order_by=("pk",),
        ),
        "timeline": _case_records(
            CaseEvent,
            case_id,
            ("type", "from_status", "to_status", "created_at"),
            json_fields=("details",),
            user="actor",
            order_by=("created_at", "pk"),
        ),
        "documents": _case_records(
            Document,
            case_id,
            ("document_type", "comment", "original_name", "size", "uploaded_at"),
            user="uploaded_by",
            order_by=("-uploaded_at", "-pk"),
        ),
        "info_request": next(
            iter(
                _case_records(
                    InfoRequest,
                    case_id,
                    ("message", "created_at", "answered_at"),
                    json_fields=("document_types",),
                    order_by=("-created_at", "-pk"),
                    limit=1,
                )
            ),
            None,
        ),
    }


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


# The reviewer's case page's case with what `case_for_review_all_tenants` joins: each model's
# every column, under its path from the case (the ORM's own instances, built by `from_db`).
_REVIEW_CASE_PATHS: tuple[tuple[str, ...], ...] = (
    (),
    ("organization",),
    ("organization", "legal_profile"),
    ("organization", "legal_profile", "country"),
    ("organization", "legal_profile", "country", "region"),
    ("assignee",),
)


def case_for_review_page_all_tenants(*, pk: int) -> VerificationCase:
    """`case_for_review_all_tenants` (404 for no such case) for the reviewer's case page: the
    same instances and relations, read as values through SQL compiled once per process
    (`portal.sqlmemo.memo_instance`, the case's id the marker): compiling the five joins cost
    ~1.5 ms of CPU of /review/<case>/ (issue 21). Its actions' POST keeps the ORM's read."""
    case = memo_instance(
        "verification:review_case",
        VerificationCase,
        _REVIEW_CASE_PATHS,
        lambda case_id: VerificationCase.objects.filter(pk=case_id),
        [pk],
    )
    if case is None:
        raise Http404("No VerificationCase matches the given query.")
    return case


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
    it by keyset), without joins: `case_queue_rows` reads what the page's rows show.
    Indexes: `vcase_open_waiting` serves every open status in waiting order,
    `vcase_status_waiting` one status, `check_failed` the failing-check filters."""
    cases = VerificationCase.objects.filter(status__in=statuses or list(OPEN_STATUSES))
    # Country and region as a semi-join on the organization: the case index keeps the order
    # and the page stops after 25 rows (a join here let the planner merge every profile).
    if country:
        cases = cases.filter(
            organization_id__in=LegalProfile.objects.filter(country_id=country).values(
                "organization_id"
            )
        )
    if region:
        cases = cases.filter(
            organization_id__in=LegalProfile.objects.filter(country__region_id=region).values(
                "organization_id"
            )
        )
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


class QueueRow:
    """A row of the review queue as values: what `queue_rows` writes, no model instance.

    `legal_name` is None when the organization has no legal profile (then no country either);
    `assignee_name` the assignee's full name (None: unassigned); `failed` the names of the
    failing checks, in their order. The view adds `sla`, `sla_label` and `age_days`."""

    __slots__ = (
        "age_days",
        "assignee_name",
        "country_code",
        "country_name",
        "failed",
        "legal_name",
        "pk",
        "region_name",
        "sla",
        "sla_label",
        "status",
        "waiting_since",
    )

    pk: int
    status: str
    waiting_since: datetime
    legal_name: str | None
    country_code: str | None
    country_name: str | None
    region_name: str | None
    assignee_name: str | None
    failed: list[str]
    sla: str
    sla_label: StrOrPromise
    age_days: int

    def __init__(self, values: tuple[Any, ...]) -> None:
        (pk, status, waiting_since, profile, legal_name, code, country, region) = values[:8]
        self.pk, self.status, self.waiting_since = pk, status, waiting_since
        self.legal_name = legal_name if profile is not None else None
        self.country_code, self.country_name, self.region_name = code, country, region
        first, last, email = values[8:11]
        # The model's own rule (`User.get_full_name`), without building a User.
        self.assignee_name = (
            None if email is None else User.get_full_name(_Name(first, last, email))  # type: ignore[arg-type]
        )
        self.failed = []


@dataclass(frozen=True)
class _Name:
    first_name: str
    last_name: str
    email: str


_ROW_FIELDS = (
    "pk",
    "status",
    "waiting_since",
    "organization__legal_profile__id",
    "organization__legal_profile__legal_name",
    "organization__legal_profile__country_id",
    "organization__legal_profile__country__name",
    "organization__legal_profile__country__region__name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__email",
)


def case_queue_rows(cases: Sequence[Any]) -> list[QueueRow]:
    """What a page's rows show, read for those rows only, as values: organization, legal
    profile, country, region and assignee (one query), and the names of the failing checks (one
    query). Model instances of the five joined tables cost ~5 ms of CPU a page of 25 rows
    (with the checks' evidence, which the queue never shows); values, a fraction of that, and
    their SQL is compiled once per number of rows (portal/sqlmemo.py: ~2 ms of the ORM)."""
    if not cases:
        return []
    pks = list(dict.fromkeys(case.pk for case in cases))
    by_pk = {
        values[0]: QueueRow(values)
        for values in memo_rows_of_ids(
            "verification:queue_rows",
            lambda ids: (
                VerificationCase.objects.filter(pk__in=ids)
                .order_by()
                .values_list(*_ROW_FIELDS, named=True)
            ),
            pks,
        )
    }
    failing = memo_rows_of_ids(
        "verification:queue_rows_failing",
        lambda ids: (
            CheckResult.objects.filter(case_id__in=ids, passed=False)
            .order_by("pk")
            .values_list("case_id", "name", named=True)
        ),
        pks,
    )
    for case_id, name in failing:
        if (row := by_pk.get(case_id)) is not None:
            row.failed.append(name)
    return [by_pk[pk] for pk in pks if pk in by_pk]


def _bucket_q(bucket: AgeBucket, now: datetime) -> Q:
    q = Q(waiting_since__lte=now - timedelta(days=bucket.low_days))
    if bucket.high_days is not None:
        q &= Q(waiting_since__gt=now - timedelta(days=bucket.high_days))
    return q


QUEUE_COUNTS_CACHE_KEY = "verification:queue-counts:v1"
QUEUE_COUNTS_SECONDS = 60


def _queue_count_querysets(now: datetime) -> dict[str, QuerySet[VerificationCase]]:
    querysets: dict[str, QuerySet[VerificationCase]] = {
        status: VerificationCase.objects.filter(status=status) for status in Status.values
    }
    waiting = VerificationCase.objects.filter(status__in=list(REVIEWER_WAIT_STATUSES))
    for bucket in AGE_BUCKETS:
        querysets[f"age:{bucket.key}"] = waiting.filter(_bucket_q(bucket, now))
    return querysets


def case_queue_counts_all_tenants(
    *,
    now: datetime | None = None,
    cases: QuerySet[VerificationCase] | None = None,
    key: str = "",
) -> dict[str, int]:
    """Cases per status; under "age:<bucket key>", cases waiting on reviewers by age; and, when
    given `cases` (the queue's filtered list, `key` naming its filter), under "total" how many
    match. Each count stops at COUNT_CAP + 1 (the page says "10,000+"); whatever the cache
    lacks comes from ONE query of capped index scans, kept QUEUE_COUNTS_SECONDS in the cache
    (the queue's figures may lag a minute behind; the list itself never does)."""
    total_key = f"verification:queue-total:v1:{key}"
    wanted = [QUEUE_COUNTS_CACHE_KEY] + ([total_key] if cases is not None else [])
    cached = cache.get_many(wanted)
    querysets: dict[str, QuerySet[VerificationCase]] = {}
    if QUEUE_COUNTS_CACHE_KEY not in cached:
        querysets.update(_queue_count_querysets(now or timezone.now()))
    if cases is not None and total_key not in cached:
        querysets["total"] = cases
    fresh = capped_counts(querysets)
    if QUEUE_COUNTS_CACHE_KEY in cached:
        counts = dict(cached[QUEUE_COUNTS_CACHE_KEY])
    else:
        counts = {k: v for k, v in fresh.items() if k != "total"}
        cache.set(QUEUE_COUNTS_CACHE_KEY, counts, QUEUE_COUNTS_SECONDS)
    if cases is not None:
        if total_key in cached:
            counts["total"] = cached[total_key]
        else:
            counts["total"] = fresh["total"]
            cache.set(total_key, fresh["total"], QUEUE_COUNTS_SECONDS)
    return counts


def case_queue_age_buckets(counts: dict[str, int]) -> list[tuple[AgeBucket, int]]:
    """Cases waiting on reviewers, by how long they have waited, from the queue's counts."""
    return [(bucket, counts[f"age:{bucket.key}"]) for bucket in AGE_BUCKETS]


def case_sla(case: VerificationCase | QueueRow, now: datetime) -> str:
    """ "over", "soon" or "ok" while reviewers hold the case; "partner" while the partner does;
    "" once decided."""
    if case.status in REVIEWER_WAIT_STATUSES:
        if now > escalation_due_at(case.waiting_since):
            return "over"
        if now > escalation_warning_at(case.waiting_since):
            return "soon"
        return "ok"
    if case.status in OPEN_STATUSES:
        return "partner"
    return ""


def cases_past_sla_count(*, now: datetime | None = None) -> int:
    """Cases waiting on reviewers past the escalation deadline, across tenants (the operators'
    gauge): `case_sla` "over", counted in two queries. The deadline lies between the business
    days as calendar days and that plus the weekends they can span: cases older than the longest
    are counted in the database, the few in between are checked one by one with the same rule."""
    now = now or timezone.now()
    days = ESCALATION_BUSINESS_DAYS
    shortest = timedelta(days=days)
    longest = shortest + timedelta(days=2 * -(-days // 5))
    waiting = VerificationCase.objects.filter(status__in=list(REVIEWER_WAIT_STATUSES))
    surely = waiting.filter(waiting_since__lt=now - longest).count()
    between = waiting.filter(
        waiting_since__gte=now - longest, waiting_since__lt=now - shortest
    ).values_list("waiting_since", flat=True)
    return surely + sum(1 for since in between if now > escalation_due_at(since))
