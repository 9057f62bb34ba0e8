"""The list endpoints' rows as plain dicts from `values_list` tuples: no model instances and no
DRF field binding per row (a 50-row page through the serializers cost more than its queries).

The output is the serializers' (api/serializers.py, which still describe it in the OpenAPI
schema): a moment or a date in ISO 8601 is written as the serializer's field writes it, in the
page's time zone read once (`_converter`), any other value the field converts goes through that
very field instance; tests/api/test_rows.py checks every list against its serializer, row for
row, in UTC and in another zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework import serializers as drf
from rest_framework.settings import api_settings

from commerce.visibility import prices_seen_by

from .serializers import CustomerSerializer, IndirectResellerSerializer, SubscriptionSerializer

# A row's dict from its tuple, the viewer's organization id and the page's time zone.
Build = Callable[[Any, int, "tzinfo | None"], dict[str, Any]]


def page_timezone() -> tzinfo | None:
    """The zone DRF's DateTimeField writes moments in (its `default_timezone`), read once a
    page rather than once a value."""
    return timezone.get_current_timezone() if settings.USE_TZ else None


def is_utc(zone: tzinfo | None) -> bool:
    """Whether moments are written in UTC (`…Z`): then a page may read them from PostgreSQL as
    that text already (`portal.sqlmemo._run`'s `iso_moments`), which the converters below pass
    on as they are."""
    return zone is not None and str(zone) == "UTC"


class Rows:
    """`columns` to read (the tie `pk` and the cursor's field among them) and the dict of a row
    as the caller's organization may see it: `page(rows, organization_id)` for a page,
    `build(row, organization_id)` for one row."""

    def __init__(self, columns: tuple[str, ...], build: Build) -> None:
        self.columns = columns
        self._build = build

    def build(self, row: Any, viewer: int) -> dict[str, Any]:
        return self._build(row, viewer, page_timezone())

    def page(self, rows: list[Any], viewer: int) -> list[dict[str, Any]]:
        zone = page_timezone()
        build = self._build
        return [build(row, viewer, zone) for row in rows]


Convert = Callable[[Any, "tzinfo | None"], Any]


def _converter(serializer: type, name: str) -> Convert:
    """The serializer's field `name` as a function of (value, the page's zone). A moment or a
    date in ISO 8601 (the API's format) is written here as DRF writes it, without its per-value
    look-ups (the current zone, the format setting); any other value or format goes through
    the field itself."""
    field = serializer().fields[name]
    moments = isinstance(field, drf.DateTimeField)

    def through_field(value: Any, _zone: tzinfo | None) -> Any:
        if moments and type(value) is str:
            value = datetime.fromisoformat(value)  # a moment read as ISO text, UTC
        return None if value is None else field.to_representation(value)

    if isinstance(field, drf.DateTimeField):
        output = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if hasattr(field, "timezone") or not isinstance(output, str) or output.lower() != ISO_8601:
            return through_field

        def moment(value: Any, zone: tzinfo | None) -> Any:
            if value is None or type(value) is str:
                return value  # a moment read as this very text (in UTC: `is_utc`)
            if zone is None or type(value) is not datetime or value.utcoffset() is None:
                return field.to_representation(value)
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:  # the field's own error
                return field.to_representation(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return moment
    if isinstance(field, drf.DateField):
        output = getattr(field, "format", api_settings.DATE_FORMAT)
        if not isinstance(output, str) or output.lower() != ISO_8601:
            return through_field

        def day(value: Any, _zone: tzinfo | None) -> Any:
            if value is None:
                return None
            if type(value) is not date:
                return field.to_representation(value)
            return value.isoformat()

        return day
    return through_field


_reseller_moment = {
    name: _converter(IndirectResellerSerializer, name) for name in ("authorized_at", "ended_at")
}
_customer_created = _converter(CustomerSerializer, "created_at")
_subscription = {
    name: _converter(SubscriptionSerializer, name)
    for name in (
        "purchased_at",
        "term_start",
        "term_end",
        "ended_at",
    )
}


def _indirect_reseller(r: Any, _viewer: int, zone: tzinfo | None) -> dict[str, Any]:
    return {
        "id": r.pk,
        "reseller": {"id": r.reseller_id, "legal_name": r.reseller__legal_name},
        "status": r.status,
        "admin_access": r.admin_access,
        "authorized_at": _reseller_moment["authorized_at"](r.authorized_at, zone),
        "ended_at": _reseller_moment["ended_at"](r.ended_at, zone),
    }


def _customer(r: Any, _viewer: int, zone: tzinfo | None) -> dict[str, Any]:
    return {
        "id": r.pk,
        "customer": {"id": r.customer_id, "legal_name": r.customer__legal_name},
        "reseller_id": r.reseller_id,
        "provider_id": r.provider_id,
        "status": r.status,
        "created_at": _customer_created(r.created_at, zone),
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _subscription_row(r: Any, viewer: int, zone: tzinfo | None) -> dict[str, Any]:
    """Only the prices the viewer's side may see (`commerce.visibility`), as the serializer."""
    c = _subscription
    seen = prices_seen_by(r, viewer)
    return {
        "id": r.pk,
        "offer": r.offer__name,
        "customer": {"id": r.customer_id, "legal_name": r.customer__legal_name},
        "reseller_id": r.reseller_id,
        "provider_id": r.provider_id,
        "status": r.status,
        "quantity": r.quantity,
        "term": r.term,
        "billing_frequency": r.billing_frequency,
        "currency": r.currency,
        "unit_price": _money(seen.buy_unit),
        "monthly_cost": _money(seen.buy_monthly),
        "sell_unit_price": _money(seen.sell_unit),
        "sell_monthly_price": _money(seen.sell_monthly),
        "auto_renew": r.auto_renew,
        "purchased_at": c["purchased_at"](r.purchased_at, zone),
        "term_start": c["term_start"](r.term_start, zone),
        "term_end": c["term_end"](r.term_end, zone),
        "ended_at": c["ended_at"](r.ended_at, zone),
    }


INDIRECT_RESELLERS = Rows(
    (
        "pk",
        "reseller_id",
        "reseller__legal_name",
        "status",
        "admin_access",
        "authorized_at",
        "ended_at",
    ),
    _indirect_reseller,
)
CUSTOMERS = Rows(
    (
        "pk",
        "customer_id",
        "customer__legal_name",
        "reseller_id",
        "provider_id",
        "status",
        "created_at",
    ),
    _customer,
)
SUBSCRIPTIONS = Rows(
    (
        "pk",
        "offer__name",
        "customer_id",
        "customer__legal_name",
        "reseller_id",
        "provider_id",
        "status",
        "quantity",
        "term",
        "billing_frequency",
        "currency",
        "unit_price",
        "reseller_price",
        "customer_price",
        "auto_renew",
        "purchased_at",
        "term_start",
        "term_end",
        "ended_at",
    ),
    _subscription_row,
)
