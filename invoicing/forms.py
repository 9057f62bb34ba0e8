"""Filters of the invoice list and the reconciliation file's choice: every control is bounded
(the closed months the organization has invoices in, the markets' currencies, two directions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalFormMixin

from . import selectors
from .pdf import period_label


def _period_choices(periods: Iterable[date]) -> list[tuple[str, str]]:
    return [(f"{period:%Y-%m}", period_label(period)) for period in periods]


def _currency_choices(currencies: Iterable[str]) -> list[tuple[str, str]]:
    return [(code, code) for code in currencies]


class InvoiceFilterForm(PortalFormMixin, forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[
            ("", _("Issued and received")),
            (selectors.ISSUED, _("Issued by us")),
            (selectors.RECEIVED, _("Received by us")),
        ],
    )
    period = forms.ChoiceField(label=_("Billing period"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), required=False)

    def __init__(
        self, *args: Any, periods: Iterable[date] = (), currencies: Iterable[str] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["period"]).choices = [
            ("", _("Every period")),
            *_period_choices(periods),
        ]
        cast(forms.ChoiceField, self.fields["currency"]).choices = [
            ("", _("Every currency")),
            *_currency_choices(currencies),
        ]


class ReconciliationForm(PortalFormMixin, forms.Form):
    period = forms.ChoiceField(
        label=_("Billing period"),
        help_text=_(
            "A closed month gives the lines of its invoices (billed); the current period gives "
            "the charges no invoice holds yet (unbilled)."
        ),
    )
    currency = forms.ChoiceField(label=_("Currency"))

    def __init__(
        self, *args: Any, periods: Iterable[date] = (), currencies: Iterable[str] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["period"]).choices = [
            (selectors.UNBILLED, _("Current period (unbilled)")),
            *_period_choices(periods),
        ]
        cast(forms.ChoiceField, self.fields["currency"]).choices = _currency_choices(currencies)


class UsageUploadForm(PortalFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Usage file (CSV)"),
        help_text=_(
            "CSV UTF-8, CSV or Unicode text, up to 20,000 rows and 2 MB, with the columns "
            "subscription_id, usage_date and quantity on the first line."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.txt,.tsv,text/csv,text/plain,text/tab-separated-values"}
        ),
    )
