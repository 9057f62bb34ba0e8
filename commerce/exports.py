"""The Billing and Subscriptions pages' CSV exports: subscriptions with their cost, through
`portal.exports` (streamed when small, prepared by a worker when large). Every cell is computed
by the database (`ExportSource.cells`): PostgreSQL writes a streamed file itself, and elsewhere,
or in the worker, the rows come from a server-side cursor in chunks, so memory stays flat
whether the organization has ten subscriptions or two hundred thousand. Amounts are
machine-readable (`1234.50`, with the currency in its own column), dates ISO, whatever the
reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from django.db.models import CharField, DecimalField, F, Q, QuerySet, Value
from django.db.models.expressions import Case, ExpressionWrapper, Func, When
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from portal.csv_export import csv_safe_sql
from portal.exports import ExportSource

from .billing import LIVE_STATUSES
from .models import BillingFrequency, Subscription, Term
from .visibility import CUSTOMER, PRICE_FIELDS


def _headers(side: str) -> list[str]:
    sells = (
        []
        if side == CUSTOMER
        else [_("Price charged per unit per month"), _("Monthly price charged")]
    )
    return [
        _("Customer"),
        _("Reseller"),
        _("Provider"),
        _("Offer"),
        _("Quantity"),
        _("Term"),
        _("Billing frequency"),
        _("Status"),
        _("Currency"),
        _("Unit price per month"),
        _("Monthly cost"),
        _("Term end"),
        *sells,  # last: the columns before keep their places whoever exports
    ]


def _label(field: str, choices: Sequence[tuple[str, object]]) -> Case:
    """The stored value's label in the current language (the value itself when unknown)."""
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices],
        default=F(field),
        output_field=CharField(),
    )


class _TwoDecimals(Func):
    """An amount as text with its two decimals. PostgreSQL's numeric keeps them (`37.50`);
    SQLite computes with floating point (`37.5`), so it writes them with `printf` there."""

    template = "%(expressions)s"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # "%%%%" survives the template ("%%") and then Django's SQLite cursor ("%").
        return self.as_sql(compiler, connection, template="printf('%%%%.2f', %(expressions)s)")


def _monthly(price_field: str) -> Case:
    """The price times the quantity of a live subscription; NULL (an empty cell) for a
    cancelled or expired one, which costs nothing a month: a column sum in a spreadsheet
    matches Billing's live totals."""
    return Case(
        When(
            Q(status__in=LIVE_STATUSES),
            then=_TwoDecimals(
                ExpressionWrapper(
                    F(price_field) * F("quantity"),
                    output_field=DecimalField(max_digits=20, decimal_places=2),
                )
            ),
        ),
        default=Value(None),
        output_field=CharField(),
    )


def subscription_export_cells(qs: QuerySet[Subscription], side: str) -> QuerySet:
    """The export's cells as plain tuples, in the header's order, every one computed by the
    database (no model instance, no Python per cell). The prices are the ones `side` may see
    (`commerce.visibility.PRICE_FIELDS`): its buy price, and for a partner its sell price.
    The customer's name is the subscription's own copy of it (no join)."""
    buy_field, sell_field = PRICE_FIELDS[side]
    sells = [F(sell_field), _monthly(sell_field)] if side != CUSTOMER and sell_field else []
    columns = [
        csv_safe_sql("customer_name"),
        csv_safe_sql("reseller__legal_name"),
        csv_safe_sql("provider__legal_name"),
        csv_safe_sql("offer__name"),
        F("quantity"),
        _label("term", Term.choices),
        _label("billing_frequency", BillingFrequency.choices),
        _label("status", Subscription.Status.choices),
        F("currency"),
        F(buy_field),
        _monthly(buy_field),
        TruncDate("term_end", tzinfo=UTC),
        *sells,
    ]
    names = {f"cell_{number}": column for number, column in enumerate(columns)}
    return qs.select_related(None).annotate(**names).values_list(*names)


def subscription_export_source(qs: QuerySet[Subscription], *, side: str) -> ExportSource:
    """The header, then one row per subscription of `qs` (already filtered and ordered). The
    words are translated now, in the request's (or the requester's) language: the rows are
    written later, while the response streams or the worker writes. The prices are those
    `side` (the exporting organization's side of every row) may see: its buy price, and for a
    partner its sell price (`commerce.visibility`)."""
    return ExportSource(
        queryset=qs, header=_headers(side), cells=subscription_export_cells(qs, side)
    )
