"""The list endpoints' rows as plain dicts from `values_list` tuples: no model instances and no
DRF field binding per row (a 50-row page through the serializers cost more than its queries).

The output is the serializers' (api/serializers.py, which still describe it in the OpenAPI
schema): each value that DRF converts (moments, dates, decimals) goes through the very field
instance the serializer would use; tests/api/test_rows.py checks every list against its
serializer, row for row."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from commerce.visibility import prices_seen_by

from .serializers import CustomerSerializer, IndirectResellerSerializer, SubscriptionSerializer


class Rows:
    """`columns` to read (the tie `pk` and the cursor's field among them) and the dict of a row
    as the caller's organization (`build(row, organization_id)`) may see it."""

    def __init__(
        self, columns: tuple[str, ...], build: Callable[[Any, int], dict[str, Any]]
    ) -> None:
        self.columns = columns
        self.build = build


def _converter(serializer: type, name: str) -> Callable[[Any], Any]:
    field = serializer().fields[name]

    def convert(value: Any) -> Any:
        return None if value is None else field.to_representation(value)

    return convert


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


def _indirect_reseller(r: Any, _viewer: int) -> dict[str, Any]:
    return {
        "id": r.pk,
        "reseller": {"id": r.reseller_id, "legal_name": r.reseller__legal_name},
        "status": r.status,
        "admin_access": r.admin_access,
        "authorized_at": _reseller_moment["authorized_at"](r.authorized_at),
        "ended_at": _reseller_moment["ended_at"](r.ended_at),
    }


def _customer(r: Any, _viewer: int) -> dict[str, Any]:
    return {
        "id": r.pk,
        "customer": {"id": r.customer_id, "legal_name": r.customer__legal_name},
        "reseller_id": r.reseller_id,
        "provider_id": r.provider_id,
        "status": r.status,
        "created_at": _customer_created(r.created_at),
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _subscription_row(r: Any, viewer: int) -> dict[str, Any]:
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
        "purchased_at": c["purchased_at"](r.purchased_at),
        "term_start": c["term_start"](r.term_start),
        "term_end": c["term_end"](r.term_end),
        "ended_at": c["ended_at"](r.ended_at),
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
