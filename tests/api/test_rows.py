"""The list endpoints build their rows without the serializers (api/rows.py): every row equals
what the list's serializer makes of the same object, and the schema still names the serializer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from api.rows import CUSTOMERS, INDIRECT_RESELLERS, SUBSCRIPTIONS
from api.serializers import CustomerSerializer, IndirectResellerSerializer, SubscriptionSerializer
from commerce.selectors import subscription_list
from relationships.selectors import customers_for, resellers_of_provider
from tests.api.test_api import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _same(queryset, rows, serializer, viewer) -> int:
    context = {"organization": viewer}
    objects = {o.pk: serializer(o, context=context).data for o in queryset}
    built = [rows.build(r, viewer.pk) for r in queryset.values_list(*rows.columns, named=True)]
    assert built and len(built) == len(objects)
    for row in built:
        assert row == objects[row["id"]]
        assert list(row) == list(objects[row["id"]])  # the same keys in the same order
    return len(built)


def test_every_list_row_is_its_serializers(world):  # noqa: F811
    provider = world["provider"]
    pair = world["pair"]
    pair.ended_at = timezone.now() - timedelta(microseconds=1234)  # a moment's microseconds
    pair.save(update_fields=["ended_at"])
    first = world["mine"][0]
    first.unit_price, first.monthly_cost = Decimal("12.5"), Decimal("37.50")
    first.reseller_price, first.customer_price = Decimal("14.00"), Decimal("16.81")
    first.ended_at = None
    first.save(
        update_fields=["unit_price", "monthly_cost", "reseller_price", "customer_price", "ended_at"]
    )
    assert _same(
        resellers_of_provider(provider=provider),
        INDIRECT_RESELLERS,
        IndirectResellerSerializer,
        provider,
    )
    assert _same(customers_for(organization=provider), CUSTOMERS, CustomerSerializer, provider)
    # Each side's prices: the provider's cost and sell price, the customer's own price.
    mine = subscription_list(organization=provider)
    assert _same(mine, SUBSCRIPTIONS, SubscriptionSerializer, provider) == 2
    assert _same(mine, SUBSCRIPTIONS, SubscriptionSerializer, first.customer) == 2


def test_rows_write_moments_in_the_active_time_zone_as_the_serializers(world):  # noqa: F811
    """The rows read the zone once a page: in a zone other than UTC (an offset, not `Z`) and
    across a daylight-saving change the moments are still the serializers'."""
    provider = world["provider"]
    pair = world["pair"]
    pair.ended_at = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC)  # before Rome's change
    pair.authorized_at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # after it
    pair.save(update_fields=["ended_at", "authorized_at"])
    with timezone.override("Europe/Rome"):
        assert _same(
            resellers_of_provider(provider=provider),
            INDIRECT_RESELLERS,
            IndirectResellerSerializer,
            provider,
        )
        row = INDIRECT_RESELLERS.page(
            list(
                resellers_of_provider(provider=provider)
                .filter(pk=pair.pk)
                .values_list(*INDIRECT_RESELLERS.columns, named=True)
            ),
            provider.pk,
        )[0]
        assert row["ended_at"] == "2026-03-29T01:30:15.123456+01:00"
        assert row["authorized_at"] == "2026-03-29T03:30:00+02:00"
        assert _same(customers_for(organization=provider), CUSTOMERS, CustomerSerializer, provider)
        mine = subscription_list(organization=provider)
        assert _same(mine, SUBSCRIPTIONS, SubscriptionSerializer, provider) == 2


def test_a_moment_read_as_iso_text_is_written_in_a_fields_own_format():
    """A list read with `iso_moments` hands its converters text; a DateTimeField with a format of
    its own still writes that format, as it would for the datetime."""
    from rest_framework import serializers as drf

    from api.rows import _converter

    class Dated(drf.Serializer):
        at = drf.DateTimeField(format="%d/%m/%Y %H:%M")

    convert = _converter(Dated, "at")
    assert convert("2026-11-03T09:30:00.120000Z", UTC) == "03/11/2026 09:30"
    assert convert(datetime(2026, 11, 3, 9, 30, tzinfo=UTC), UTC) == "03/11/2026 09:30"
