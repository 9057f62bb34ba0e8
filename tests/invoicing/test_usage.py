"""Usage-based offers: the provider's daily records, validated, one per day, rated at each tier
(issue 25 item 3), from a CSV file through `manage.py import_usage`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from invoicing.models import Charge, Tier, UsageRecord
from invoicing.services import period_close, usage_import
from tests.invoicing.conftest import at, order

pytestmark = pytest.mark.django_db


def _storage(world):
    return order(
        world,
        at(2026, 6, 1),
        code="object-storage",
        quantity=1,
        reseller_price="2.00",
        customer_price="2.50",
    )


def test_a_day_of_usage_is_rated_at_each_tier(world):
    storage = _storage(world)
    provider = world["pair"].provider
    with time_machine.travel(at(2026, 6, 20), tick=False):
        result = usage_import(provider, [(storage.pk, date(2026, 6, 3), Decimal("4.5"))])
    assert (result.imported, result.errors) == (1, [])
    lines = {c.tier: c for c in Charge.objects.filter(kind="usage")}
    assert lines[Tier.PROVIDER].amount == Decimal("9.00")
    assert lines[Tier.RESELLER].amount == Decimal("11.25")
    assert lines[Tier.RESELLER].charge_date == date(2026, 6, 3)


def test_usage_rows_are_validated(world):
    storage = _storage(world)
    seats = order(world, at(2026, 6, 1), quantity=1)
    with time_machine.travel(at(2026, 6, 20), tick=False):
        result = usage_import(
            world["pair"].provider,
            [
                (storage.pk, date(2026, 5, 31), Decimal("1")),  # before the purchase
                (storage.pk, date(2026, 6, 21), Decimal("1")),  # in the future
                (storage.pk, date(2026, 6, 2), Decimal("-1")),  # negative
                (seats.pk, date(2026, 6, 2), Decimal("1")),  # not usage-based
                (999999, date(2026, 6, 2), Decimal("1")),  # not there
            ],
        )
        other = usage_import(world["pair"].reseller, [(storage.pk, date(2026, 6, 2), 1)])
    assert [number for number, _reason in result.errors or []] == [1, 2, 3, 4, 5]
    assert other.errors and other.imported == 0  # not the reseller's to import
    assert not UsageRecord.objects.exists()
    assert not Charge.objects.filter(kind="usage").exists()


def test_a_reimport_replaces_the_day_until_it_is_invoiced(world):
    storage = _storage(world)
    provider = world["pair"].provider
    with time_machine.travel(at(2026, 6, 20), tick=False):
        usage_import(provider, [(storage.pk, date(2026, 6, 3), Decimal("4"))])
        again = usage_import(provider, [(storage.pk, date(2026, 6, 3), Decimal("5"))])
    assert again.replaced == 1
    assert UsageRecord.objects.get().quantity == Decimal("5")
    assert Charge.objects.get(kind="usage", tier=Tier.RESELLER).amount == Decimal("12.50")
    with time_machine.travel(at(2026, 7, 1, 3), tick=False):
        period_close(date(2026, 6, 1))
        late = usage_import(provider, [(storage.pk, date(2026, 6, 3), Decimal("7"))])
    assert late.errors and late.replaced == 0
    assert UsageRecord.objects.get().quantity == Decimal("5")


def test_import_usage_command_reads_a_spreadsheet_csv(world, tmp_path, capsys):
    storage = _storage(world)
    data = tmp_path / "usage.csv"
    data.write_bytes(
        "\ufeffSubscription;Date;Quantity\r\n"
        f"{storage.pk};2026-06-03;1,5\r\n{storage.pk};2026-06-04;2\r\nnonsense;x;y\r\n".encode()
    )
    with time_machine.travel(at(2026, 6, 20), tick=False):
        call_command("import_usage", str(data), provider=world["pair"].provider.pk)
    out = capsys.readouterr()
    assert "2 imported" in out.out and "1 refused" in out.out
    assert sorted(UsageRecord.objects.values_list("quantity", flat=True)) == [
        Decimal("1.5"),
        Decimal("2"),
    ]
