"""The demo's verification dates against the escalation sweep (issue 23): a minute after
seeding, the reviewer was emailed that Tailspin "waits more than 2 business days" while its case
page said "Within SLA" (`_retime()` moved the case's wait but shifted its escalation by another
amount). Both now read `verification.deadlines.escalation_due_at()` from the retimed wait."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from portal.models import Organization, OutboxMessage, User
from verification.models import VerificationCase
from verification.services import verification_sweep_due

pytestmark = pytest.mark.django_db


# Seeded on each day of a week (Monday 2 March 2026 first), at 10:00 UTC.
WEEK = [datetime(2026, 3, 2 + day, 10, 0, tzinfo=UTC) for day in range(7)]
SLA_BADGE = re.compile(r'class="sla-badge sla-(\w+)"')


@pytest.mark.parametrize("seeded_at", WEEK, ids=lambda d: d.strftime("%A"))
def test_the_reviewer_is_emailed_about_tailspin_only_once_its_page_says_over_sla(client, seeded_at):
    """Issue 23: a minute after seeding, the reviewer was emailed that Tailspin "waits more than
    2 business days" while its case page said "Within SLA". Every three hours after the seed
    (a minute past the hour the deadline falls on), the beat sweep runs and the reviewer opens
    the case: the escalation email exists exactly when the page says "Over SLA"."""
    with time_machine.travel(seeded_at, tick=False):
        call_command("seed_demo", stdout=StringIO())
    tailspin = Organization.objects.get(primary_domain="tailspin-cloud.example")
    case = VerificationCase.objects.get(organization=tailspin)
    client.force_login(User.objects.get(email="reviewer@csp-operator.example"))

    def sweep(at: datetime) -> bool:
        with time_machine.travel(at, tick=False):
            verification_sweep_due()
        return OutboxMessage.objects.filter(template="verification_escalated").exists()

    def sla_on_the_page(at: datetime) -> str:
        with time_machine.travel(at, tick=False):
            page = client.get(f"/review/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        [sla] = SLA_BADGE.findall(page.content.decode())
        return sla

    at = seeded_at + timedelta(minutes=1)
    assert not sweep(at), "a fresh demo escalates nothing"
    assert sla_on_the_page(at) in ("ok", "soon")
    for hours in range(3, 24 * 6, 3):
        before, at = at, seeded_at + timedelta(hours=hours, minutes=1)
        if sweep(at):
            break
    else:
        pytest.fail("Tailspin never escalated")
    assert sla_on_the_page(before) != "over", f"over SLA {hours - 3} h after the seed, no email"
    assert sla_on_the_page(at) == "over", f"emailed {hours} h after the seed, not over SLA"
    assert hours >= 24, f"escalated {hours} h after the seed"  # a fresh case waits a day
