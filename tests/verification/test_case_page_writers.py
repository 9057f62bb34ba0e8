"""The reviewer's case page writes its timeline and its checks in Python (`{% timeline_items %}`,
`{% check_rows %}`, verification/templatetags/verification_tags.py): every kind of event must
come out exactly as templates/verification/_timeline.html writes it (the partner's page still
includes it), and every check as the loop it replaced (kept as
tests/templates/verification_check_rows_reference.html), with hostile text escaped, in every
language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import engines
from django.utils.translation import override

from portal.models import User
from verification.models import CaseEvent, CheckResult

HOSTILE = "a \"quoted\" <b>tag</b> & 'apostrophe'"


def _events() -> list[CaseEvent]:
    at = datetime(2026, 8, 9, 11, 11, 50, tzinfo=UTC)
    actor = User(first_name=HOSTILE, last_name="Rossi", email="r@example.com")
    return [
        CaseEvent(type=CaseEvent.Type.OPENED, to_status="email_pending", created_at=at),
        CaseEvent(type=CaseEvent.Type.OPENED, actor=actor, created_at=at, details=[1]),
        CaseEvent(
            type=CaseEvent.Type.DETAILS_CHANGED,
            to_status="in_review",
            actor=User(email="nameless@example.com"),
            created_at=at,
            details={"fields": ["legal_name", "city", HOSTILE], "note": HOSTILE},
        ),
        CaseEvent(
            type="unknown <type>",
            to_status="rejected",
            created_at=at,
            details={"failed": [HOSTILE, "csp_market"], "note": 1234.5},
        ),
        CaseEvent(type=CaseEvent.Type.OPENED, created_at=at, details={"failed": HOSTILE}),
    ]


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("partner", [False, True])
@pytest.mark.parametrize("events", [_events, list], ids=["events", "none"])
def test_timeline_items_write_what_the_template_writes(language, partner, events):
    engine = engines["django"]
    context = {"events": events(), "partner": partner}
    with override(language):
        expected = engine.get_template("verification/_timeline.html").render(context)
        items = engine.from_string(
            "{% load verification_tags %}{% timeline_items events partner %}"
        ).render(context)
    assert expected == (
        f'\n<ol class="verification-timeline list-unstyled mb-0">\n  {items}\n</ol>\n'
    )


def _checks() -> list[CheckResult]:
    return [
        CheckResult(name=CheckResult.Name.CSP_MARKET, passed=True, evidence={"country": "IT"}),
        CheckResult(
            name=CheckResult.Name.EMAIL_DOMAIN,
            passed=False,
            evidence={"domain": HOSTILE, "email_domain": "a.example", "other": HOSTILE},
        ),
        CheckResult(name="unknown <check>", passed=False, evidence={HOSTILE: 1234.5}),
        CheckResult(name=CheckResult.Name.NO_DUPLICATE, passed=True, evidence={}),
    ]


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("checks", [_checks, list], ids=["checks", "none"])
def test_check_rows_write_what_the_template_wrote(language, checks):
    engine = engines["django"]
    context = {"checks": checks()}
    with override(language):
        expected = engine.get_template("verification_check_rows_reference.html").render(context)
        written = engine.from_string(
            "{% load verification_tags %}    {% check_rows checks %}"
        ).render(context)
    assert f"{written}\n" == expected  # the reference file ends with a newline
