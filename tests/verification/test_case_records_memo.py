"""The reviewer's case page reads its checks, timeline, documents and last request for
information through SQL compiled once per process (`selectors.case_review_records`): the same
records, in the same order, with the same JSON, as the ORM's selectors read, never another
case's, a change shown on the next read; a repeated read compiles nothing on PostgreSQL. Its case
(`case_for_review_page_all_tenants`) is the ORM's, with its relations, and 404 when missing."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from tests.verification.factories import reviewer
from tests.verification.test_queue_scale import bulk_cases
from verification.models import CaseEvent, CheckResult, Document, InfoRequest, VerificationCase
from verification.selectors import (
    case_checks,
    case_documents,
    case_for_review_all_tenants,
    case_for_review_page_all_tenants,
    case_latest_info_request,
    case_review_records,
    case_timeline,
)

pytestmark = pytest.mark.django_db


def _seen(records: dict) -> tuple:
    info = records["info_request"]
    return (
        [(c.pk, c.name, c.passed, c.evidence, c.evidence_sentences) for c in records["checks"]],
        [
            (
                e.pk,
                e.type,
                e.to_status,
                e.details,
                e.created_at,
                e.actor and e.actor.get_full_name(),
            )
            for e in records["timeline"]
        ],
        [
            (
                d.pk,
                d.get_document_type_display(),
                d.original_name,
                d.size,
                d.comment,
                d.uploaded_at,
                d.uploaded_by and d.uploaded_by.get_full_name(),
            )
            for d in records["documents"]
        ],
        info and (info.pk, info.document_type_labels(), info.message, info.answered_at),
    )


def _orm(case) -> dict:
    return {
        "checks": list(case_checks(case=case)),
        "timeline": list(case_timeline(case=case)),
        "documents": list(case_documents(case=case)),
        "info_request": case_latest_info_request(case=case),
    }


def _fill(case, user) -> None:
    CheckResult.objects.create(
        case=case, name=CheckResult.Name.NO_DUPLICATE, passed=True, evidence={"matches": []}
    )
    CaseEvent.objects.create(
        case=case,
        type=CaseEvent.Type.CLAIMED,
        actor=user,
        to_status="in_review",
        details={"note": "<b>ok</b>", "failed": ["a", "b"]},
    )
    CaseEvent.objects.create(case=case, type=CaseEvent.Type.REMINDED)
    InfoRequest.objects.create(case=case, document_types=["tax_registration"], message="old")
    request = InfoRequest.objects.create(
        case=case, document_types=["proof_of_address", "other"], message="Send <it> & more"
    )
    for name, by in (("a&b.pdf", user), ("c.pdf", None)):
        Document.objects.create(
            case=case,
            organization=case.organization,
            info_request=request,
            document_type="proof_of_address",
            file="verification/x/y",
            original_name=name,
            content_type="application/pdf",
            size=1234,
            uploaded_by=by,
        )


def test_records_are_what_the_orm_reads_for_that_case_only_and_never_stale():
    user = reviewer().user
    cases = bulk_cases(2)
    _fill(cases[0], user)
    for case in cases:
        assert _seen(case_review_records(case_id=case.pk)) == _seen(_orm(case))
    assert _seen(case_review_records(case_id=cases[1].pk))[1:] == ([], [], None)
    CheckResult.objects.filter(case=cases[0]).update(passed=False)
    InfoRequest.objects.filter(case=cases[0]).delete()
    assert _seen(case_review_records(case_id=cases[0].pk)) == _seen(_orm(cases[0]))
    assert case_review_records(case_id=cases[0].pk)["info_request"] is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's dates need converters")
def test_a_repeated_read_compiles_nothing():
    user = reviewer().user
    cases = bulk_cases(2)
    _fill(cases[1], user)
    case_review_records(case_id=cases[0].pk)
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")):
        records = case_review_records(case_id=cases[1].pk)
    assert _seen(records) == _seen(_orm(cases[1]))


def _case_seen(case) -> tuple:
    profile = case.organization.legal_profile
    return (
        [getattr(case, f.attname) for f in case._meta.concrete_fields],
        [getattr(case.organization, f.attname) for f in case.organization._meta.concrete_fields],
        [getattr(profile, f.attname) for f in profile._meta.concrete_fields],
        str(profile.country),
        str(profile.country.region),
        case.assignee and case.assignee.get_full_name(),
    )


def test_the_pages_case_is_the_orms_and_a_missing_case_is_a_404():
    user = reviewer().user
    cases = bulk_cases(2)
    VerificationCase.objects.filter(pk=cases[1].pk).update(assignee=user)
    for case in cases:
        page_case = case_for_review_page_all_tenants(pk=case.pk)
        assert _case_seen(page_case) == _case_seen(case_for_review_all_tenants(pk=case.pk))
    with pytest.raises(Http404):
        case_for_review_page_all_tenants(pk=cases[1].pk + 1000)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's dates need converters")
def test_a_repeated_case_read_compiles_nothing():
    cases = bulk_cases(2)
    case_for_review_page_all_tenants(pk=cases[0].pk)
    with (
        mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")),
        CaptureQueriesContext(connection) as queries,
    ):
        case = case_for_review_page_all_tenants(pk=cases[1].pk)
        _case_seen(case)
    assert case.pk == cases[1].pk
    assert len(queries) == 1  # the relations come with it
