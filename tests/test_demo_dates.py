"""The demo's dates tell one story, in order and relative to today (issue 13: the agreement was
accepted in February and the enrolment dated November)."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from commerce.models import Order
from enrollment.models import AgreementAcceptance
from portal.models import Organization, OutboxMessage, User
from relationships.models import CustomerRelationship, ProviderRelationship
from verification.models import VerificationCase
from verification.services import verification_sweep_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def _case_times(domain: str) -> tuple[Organization, list]:
    organization = Organization.objects.get(primary_domain=domain)
    case = VerificationCase.objects.get(organization=organization)
    return organization, [e.created_at for e in case.events.order_by("created_at", "pk")]


def test_northwind_enrols_then_is_verified_then_accepts_then_works_with_contoso(demo):
    now = timezone.now()
    northwind, events = _case_times("northwind-it.example")
    acceptance = AgreementAcceptance.objects.select_related("version").get(organization=northwind)
    partnership = ProviderRelationship.objects.get(reseller=northwind)
    shared = CustomerRelationship.objects.filter(reseller=northwind)
    orders = Order.objects.filter(reseller=northwind)

    assert northwind.enrolled_at <= events[0] and events == sorted(events)
    assert events[-1] < acceptance.accepted_at
    assert acceptance.version.published_at < acceptance.accepted_at
    assert acceptance.accepted_on == timezone.localdate(acceptance.accepted_at)
    assert acceptance.accepted_at < partnership.authorized_at
    assert all(partnership.authorized_at < c.created_at < now for c in shared)
    assert all(partnership.authorized_at < o.placed_at < now for o in orders)
    since = {c.customer_id: c.created_at for c in shared}
    assert orders.count() >= 3 and all(since[o.customer_id] < o.placed_at for o in orders)
    assert (now - northwind.enrolled_at).days >= 30  # an established reseller


def test_the_cases_still_open_began_days_ago_not_months(demo):
    now = timezone.now()
    for domain in ("tailspin-cloud.example", "wingtip-systems.example"):
        organization, events = _case_times(domain)
        assert organization.enrolled_at <= events[0] <= events[-1] <= now
        assert (now - organization.enrolled_at).days <= 7


# Seeded on each day of a week (Monday 2 March 2026 first), at 10:00 UTC.
WEEK = [datetime(2026, 3, 2 + day, 10, 0, tzinfo=UTC) for day in range(7)]
SLA_BADGE = re.compile(r'class="sla-badge sla-(\w+)"')


@pytest.mark.parametrize("seeded_at", WEEK, ids=lambda d: d.strftime("%A"))
def test_the_reviewer_is_emailed_about_tailspin_only_once_its_page_says_over_sla(client, seeded_at):
    """Issue 23: a minute after seeding, the reviewer was emailed that Tailspin "waits more than
    2 business days" while its case page said "Within SLA". Hour by hour after the seed, the
    beat sweep runs and the reviewer opens the case: the escalation email exists exactly when
    the page says "Over SLA"."""
    with time_machine.travel(seeded_at, tick=False):
        call_command("seed_demo", stdout=StringIO())
    tailspin = Organization.objects.get(primary_domain="tailspin-cloud.example")
    case = VerificationCase.objects.get(organization=tailspin)
    client.force_login(User.objects.get(email="reviewer@csp-operator.example"))

    def sweep_and_read(at: datetime) -> tuple[bool, str]:
        with time_machine.travel(at, tick=False):
            verification_sweep_due()
            page = client.get(f"/review/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        emailed = OutboxMessage.objects.filter(template="verification_escalated").exists()
        [sla] = SLA_BADGE.findall(page.content.decode())
        return emailed, sla

    emailed, sla = sweep_and_read(seeded_at + timedelta(minutes=1))
    assert not emailed and sla in ("ok", "soon"), "a fresh demo escalates nothing"
    for hours in range(1, 24 * 6):
        emailed, sla = sweep_and_read(seeded_at + timedelta(hours=hours, minutes=1))
        assert emailed == (sla == "over"), f"{hours} h after the seed: {sla}, emailed {emailed}"
        if emailed:
            break
    else:
        pytest.fail("Tailspin never escalated")
    assert hours >= 23, f"escalated {hours} h after the seed"  # waits at least a day
