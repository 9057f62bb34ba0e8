"""The review queue's rows are read by SQL compiled once per number of rows
(`portal.sqlmemo.memo_rows_of_ids`): every page's rows are the ones the ORM reads, in the page's
order, with the data as it is now (a change shows on the next read), and a repeated page
compiles nothing on PostgreSQL."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler

from enrollment.models import LegalProfile
from tests.verification.test_queue_scale import bulk_cases
from verification.models import CheckResult, VerificationCase
from verification.selectors import _ROW_FIELDS, case_queue_rows

pytestmark = pytest.mark.django_db


def _orm_rows(pks: list[int]) -> list[tuple]:
    values = {
        v[0]: v for v in VerificationCase.objects.filter(pk__in=pks).values_list(*_ROW_FIELDS)
    }
    failing = {
        pk: list(
            CheckResult.objects.filter(case_id=pk, passed=False)
            .order_by("pk")
            .values_list("name", flat=True)
        )
        for pk in pks
    }
    return [(values[pk][0], values[pk][4], failing[pk]) for pk in pks]


def _rows(cases) -> list[tuple]:
    return [(row.pk, row.legal_name, row.failed) for row in case_queue_rows(cases)]


def test_rows_are_what_the_orm_reads_in_the_pages_order_and_never_stale():
    cases = bulk_cases(4)
    CheckResult.objects.create(case=cases[1], name=CheckResult.Name.NO_DUPLICATE, passed=False)
    pages = [cases[:3], cases[1:4][::-1], [cases[2]], cases[:3][::-1]]
    for page in pages:
        assert _rows(page) == _orm_rows([case.pk for case in page])
    LegalProfile.objects.filter(organization_id=cases[0].organization_id).update(
        legal_name="Renamed <b>& Co</b>"
    )
    CheckResult.objects.filter(case=cases[2]).delete()
    assert _rows(cases[:3]) == _orm_rows([case.pk for case in cases[:3]])
    assert _rows(cases[:3])[0][1] == "Renamed <b>& Co</b>"
    assert _rows(cases[:3])[2][2] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's dates need converters")
def test_a_repeated_page_compiles_nothing():
    cases = bulk_cases(3)
    case_queue_rows(cases)
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")):
        assert [row.pk for row in case_queue_rows(cases[::-1])] == [c.pk for c in cases[::-1]]
