"""The verification queue costs the same at 1 case or many: queries per filter, keyset pages,
capped counts."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollment.models import LegalProfile
from portal.models import Market, Organization
from verification.models import CheckResult, VerificationCase

pytestmark = pytest.mark.django_db
Status = VerificationCase.Status
_numbers = itertools.count(1)


def bulk_cases(n: int, *, status: str = Status.IN_REVIEW, country: str = "IT", failing=True):
    """`n` submitted resellers with a case each (and a failing check), inserted in bulk."""
    market = Market.objects.get(code=country)
    now = timezone.now()
    orgs = []
    for _ in range(n):
        number = next(_numbers)
        orgs.append(
            Organization(
                kind=Organization.Kind.RESELLER,
                status=Organization.Status.SUBMITTED,
                legal_name=f"Queue Reseller {number:05d}",
                primary_domain=f"queue{number}.example",
                country=market,
            )
        )
    Organization.objects.bulk_create(orgs)
    LegalProfile.objects.bulk_create(
        LegalProfile(
            organization=org,
            legal_name=org.legal_name,
            address_line1="Via Roma 1",
            city="Milano",
            country=market,
            phone="+39 02 0000 0000",
            primary_contact_first_name="Paola",
            primary_contact_last_name="Verdi",
            primary_contact_email=f"paola@{org.primary_domain}",
            primary_contact_phone="+39 02 0000 0001",
            support_email=f"support@{org.primary_domain}",
            support_phone="+39 02 0000 0002",
        )
        for org in orgs
    )
    cases = VerificationCase.objects.bulk_create(
        VerificationCase(
            organization=org, status=status, waiting_since=now - timedelta(hours=index + 1)
        )
        for index, org in enumerate(orgs)
    )
    if failing:
        CheckResult.objects.bulk_create(
            CheckResult(case=case, name=CheckResult.Name.CSP_MARKET, passed=False) for case in cases
        )
    return cases


FILTERS = [
    {},
    {"status": "in_review"},
    {"country": "IT"},
    {"region": "__region__"},
    {"age": "0-1"},
    {"assignee": "none"},
    {"assignee": "me"},
    {"failing": "any"},
    {"failing": "csp_market", "sort": "newest"},
    {"status": "in_review", "failing": "any", "sort": "newest"},
]


def _params(filters: dict[str, str]) -> dict[str, str]:
    region = str(Market.objects.get(code="IT").region_id)
    return {k: region if v == "__region__" else v for k, v in filters.items()}


def _queries(client, url, params) -> int:
    cache.clear()  # the counts are cached a minute: compare uncached pages
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "filters", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "plain"
)
def test_every_filter_runs_the_same_queries_for_1_and_3_cases(client_for, reviewer_member, filters):
    client = client_for(reviewer_member)
    params = _params(filters)
    bulk_cases(1)
    one = _queries(client, "/review/", params)
    bulk_cases(2)
    assert _queries(client, "/review/", params) == one
    assert one <= 10


def test_deep_pages_follow_the_keyset_and_cost_the_same(client_for, reviewer_member):
    client = client_for(reviewer_member)
    cases = bulk_cases(60)  # waiting longest first: the last created waits longest
    oldest_first = sorted(cases, key=lambda c: (c.waiting_since, c.pk))
    first = client.get("/review/")
    rows = first.context["page"].object_list
    assert [c.pk for c in rows] == [c.pk for c in oldest_first[:25]]
    next_link = re.search(r'href="\?(after=[^"]+)">Next', first.content.decode())
    assert next_link
    cache.clear()
    with CaptureQueriesContext(connection) as second_queries:
        second = client.get(f"/review/?{next_link.group(1)}")
    assert [c.pk for c in second.context["page"].object_list] == [c.pk for c in oldest_first[25:50]]
    assert len(second_queries.captured_queries) == _queries(client, "/review/", {})
    third = client.get(f"/review/?after={second.context['page'].next_cursor}")
    assert [c.pk for c in third.context["page"].object_list] == [c.pk for c in oldest_first[50:]]
    assert not third.context["page"].has_next
    back = client.get(f"/review/?before={third.context['page'].previous_cursor}")
    assert [c.pk for c in back.context["page"].object_list] == [c.pk for c in oldest_first[25:50]]
    assert "First page" in back.content.decode()


def test_newest_first_pages_go_backwards_in_time(client_for, reviewer_member):
    client = client_for(reviewer_member)
    cases = bulk_cases(30)
    newest = sorted(cases, key=lambda c: (c.waiting_since, c.pk), reverse=True)
    first = client.get("/review/", {"sort": "newest"})
    assert [c.pk for c in first.context["page"].object_list] == [c.pk for c in newest[:25]]
    second = client.get("/review/", {"sort": "newest", "after": first.context["page"].next_cursor})
    assert [c.pk for c in second.context["page"].object_list] == [c.pk for c in newest[25:]]


def test_counts_past_the_cap_read_as_cap_plus(client_for, reviewer_member, monkeypatch):
    monkeypatch.setattr("portal.paging.COUNT_CAP", 5)
    monkeypatch.setattr("verification.views.review.COUNT_CAP", 5)
    monkeypatch.setattr("verification.templatetags.verification_tags.COUNT_CAP", 5)
    bulk_cases(8)
    bulk_cases(2, status=Status.CHECKING, failing=False)
    page = client_for(reviewer_member).get("/review/").content.decode()
    assert "5+ cases" in page  # the list's heading: 10 open cases, past the cap of 5
    assert "In review</a>: <strong>5+</strong>" in page
    assert "Automated checks running</a>: <strong>2</strong>" in page


def test_a_garbled_cursor_shows_the_first_page(client_for, reviewer_member):
    bulk_cases(3)
    response = client_for(reviewer_member).get("/review/", {"after": "not-a-cursor"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3
