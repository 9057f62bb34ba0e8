"""`manage.py seed_scale` at a small scale: the shape the benchmark relies on (the demo provider
holds the big book, every case status is present, customers spread unevenly with one big
reseller), the demo users still sign in, and a second run refuses instead of doubling data."""

import time
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from commerce.models import Subscription
from devtools.demo.portal import PASSWORD
from devtools.scale.invoicing import _COLUMNS, CHARGE_FIELDS, _seat_lines
from devtools.scale.run import SCALE_DOMAIN, ScalePlan
from invoicing.models import Charge, UsageRecord
from invoicing.services import cents, charges_recurring_sweep, month_start, previous_period
from portal.models import Organization, OutboxMessage
from relationships.models import CustomerRelationship, ProviderProfile, ProviderRelationship
from tests.figures import report
from verification.models import CaseEvent, CheckResult, VerificationCase

pytestmark = pytest.mark.django_db

SCALE = 0.01


@pytest.fixture
def seeded():
    out = StringIO()
    started = time.perf_counter()
    call_command("seed_scale", "--scale", str(SCALE), stdout=out)
    report("seed_scale", f"--scale {SCALE}: {time.perf_counter() - started:.1f} s")
    return out.getvalue()


def test_seed_scale_builds_the_benchmark_shape(seeded, client):
    counts = ScalePlan.for_scale(SCALE).counts
    contoso = Organization.objects.get(primary_domain="contoso-distribution.example")
    northwind = Organization.objects.get(primary_domain="northwind-it.example")
    book = ProviderRelationship.objects.filter(provider=contoso)
    assert book.count() == counts["contoso_relationships"]
    assert book.filter(status="ended").count() == counts["contoso_ended"]
    # Contoso holds the biggest book of all providers.
    biggest_book = (
        ProviderRelationship.objects.values("provider").annotate(n=Count("pk")).order_by("-n")[0]
    )
    assert biggest_book["provider"] == contoso.pk

    resellers = Organization.objects.filter(kind="reseller", primary_domain__endswith=SCALE_DOMAIN)
    assert resellers.count() == counts["resellers"]
    assert ProviderProfile.objects.exclude(regions=None).count() >= counts["directory_providers"]

    cases = VerificationCase.objects.filter(organization__in=resellers)
    assert cases.count() == counts["resellers_with_cases"]
    assert set(cases.values_list("status", flat=True)) == set(VerificationCase.Status.values)
    assert CaseEvent.objects.filter(case__in=cases).count() >= 2 * cases.count()
    assert CheckResult.objects.filter(case__status="in_review").exists()
    # A decided case's organization has its outcome.
    assert (
        not Organization.objects.filter(verification_case__status="verified")
        .exclude(status="verified")
        .exists()
    )

    customers = CustomerRelationship.objects.filter(provider=contoso)
    assert customers.count() > 0.9 * counts["customers"]
    per_reseller = Counter(
        CustomerRelationship.objects.values_list("reseller_id", flat=True)
    ).most_common()
    assert per_reseller[0][1] == counts["biggest_reseller_customers"]  # one big reseller
    assert per_reseller[-1][1] < per_reseller[0][1] / 4  # ...and a long tail
    assert (
        CustomerRelationship.objects.filter(reseller=northwind).count()
        >= counts["northwind_customers"]
    )

    outbox = OutboxMessage.objects.filter(idempotency_key__startswith="scale-")
    assert outbox.count() == counts["outbox"]
    assert outbox.filter(sent_at__isnull=False).count() > 0.9 * counts["outbox"]

    _assert_invoicing_lines()

    # The demo users still sign in and see the big data.
    response = client.post(
        "/accounts/login/",
        {"login": "admin@contoso-distribution.example", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/indirect-resellers/").status_code == 200


def test_seed_scale_refuses_to_run_twice(seeded):
    before = Organization.objects.count()
    out = StringIO()
    call_command("seed_scale", "--scale", str(SCALE), stdout=out)
    assert "already present" in out.getvalue()
    assert Organization.objects.count() == before


_LINE = ["source", "tier", "kind", "quantity", "unit_price", "amount", "service_start"]
_LINE += ["service_end", "charge_date", "seller_id", "buyer_id", "customer_id", "currency"]


def _assert_invoicing_lines():
    """12 months of seat lines at both tiers, as the Python rules make them (on PostgreSQL
    the step makes them in SQL), and daily usage with its line per tier."""
    scale = Subscription.objects.filter(customer__primary_domain__endswith=SCALE_DOMAIN)
    made = Charge.objects.filter(subscription__in=scale.filter(offer__kind="seat"))
    created = made.values_list("created_at", flat=True).first()
    assert created is not None
    today = timezone.localdate(created)
    expected = {
        tuple(value for name, value in zip(CHARGE_FIELDS, line, strict=True) if name in _LINE)
        for row in scale.filter(offer__kind="seat").values_list(*_COLUMNS)
        for line in _seat_lines(
            row, since=today - timedelta(days=365), today=today, created=created
        )
    }
    order = [name for name in CHARGE_FIELDS if name in _LINE]
    assert set(made.values_list(*order)) == expected
    assert {"purchase", "renewal", "recurring", "cancellation"} <= {
        line[order.index("kind")] for line in expected
    }
    assert {line[order.index("tier")] for line in expected} == {"provider", "reseller"}

    usage = UsageRecord.objects.filter(subscription__in=scale)
    assert usage.count() > 0
    assert usage.filter(usage_date__lt=month_start(previous_period(created))).count() == 0
    assert usage.filter(usage_date__gte=today).count() == 0
    lines = Charge.objects.filter(kind="usage", subscription__in=scale)
    for record in usage.order_by("?")[:200]:
        subscription = record.subscription
        got = {
            (line.tier, line.amount)
            for line in lines.filter(source=f"usage:{record.pk}", charge_date=record.usage_date)
        }
        want = {("reseller", cents(record.quantity * subscription.customer_price))}
        if subscription.provider_id != subscription.reseller_id:
            want.add(("provider", cents(record.quantity * subscription.reseller_price)))
        assert got == want


def test_the_daily_sweep_bills_no_month_seed_scale_billed(seeded):
    """The monthly lines of monthly-billed annual terms have the sweep's own sources: the sweep
    (daily, and in `close_period`) run on the scale data writes none of those months again."""
    scale = Charge.objects.filter(subscription__customer__primary_domain__endswith=SCALE_DOMAIN)
    monthly = scale.filter(kind="recurring")
    assert monthly.count() > 0  # months of monthly-billed annual terms were billed
    before = Charge.objects.count()

    assert charges_recurring_sweep() == 0
    assert Charge.objects.count() == before


_CATALOGUE = """
SELECT 'constraint', conrelid::regclass::text, conname, contype::text || ' '
    || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALIDATED' END
FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
UNION ALL
SELECT 'index', i.indrelid::regclass::text, i.indexrelid::regclass::text,
    concat_ws(' ', i.indisunique, i.indkey::text, i.indclass::text, i.indpred IS NOT NULL,
        CASE WHEN i.indisvalid AND i.indisready THEN '' ELSE 'INVALID' END)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = current_schema()::regnamespace
"""


def _catalogue() -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(_CATALOGUE)
        return set(cursor.fetchall())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's catalogue")
def test_seed_scale_in_its_own_transaction_puts_back_every_key_and_index():
    """Outside a test's transaction the foreign keys are validated and the indexes built after
    the commit, several sessions at a time: every one is back, valid, and the tables analysed."""
    before = _catalogue()
    out = StringIO()
    call_command("seed_scale", "--scale", str(SCALE), stdout=out)
    assert "checks+vacuum" in out.getvalue()

    assert _catalogue() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NULL "
            "AND relname IN ('invoicing_charge', 'commerce_subscription', 'portal_organization')"
        )
        assert cursor.fetchall() == []
