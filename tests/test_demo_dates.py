"""The demo's dates tell one story, in order and relative to today (issue 13: the agreement was
accepted in February and the enrolment dated November)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from commerce.models import Order
from enrollment.models import AgreementAcceptance
from portal.models import Organization
from relationships.models import CustomerRelationship, ProviderRelationship
from verification.models import VerificationCase

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
