"""Filters of the Subscriptions and Billing lists. Every control is bounded: the statuses, the
currencies the organization has totals in, a typed customer name (never a <select> of every
customer) and the customer id the customer detail page links with."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalFormMixin, clean_query_text

from .models import Subscription


class SubscriptionFilterForm(PortalFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Customer name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Subscription.Status.choices],
    )
    customer = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, customer_search: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not customer_search:
            # A customer's own list: there is no other customer to look for.
            del self.fields["q"]
            del self.fields["customer"]

    def clean_q(self) -> str:
        return clean_query_text(self.cleaned_data.get("q") or "")


class BillingFilterForm(SubscriptionFilterForm):
    currency = forms.ChoiceField(label=_("Currency"), required=False)

    field_order = ["q", "currency", "status", "customer"]

    def __init__(self, *args: Any, currencies: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["currency"]).choices = [
            ("", _("Every currency")),
            *((code, code) for code in sorted(set(currencies))),
        ]


def applied_filters(form: forms.Form) -> dict[str, Any]:
    """The filters that passed validation (an invalid one is shown with its error and not
    applied; the others still narrow the list)."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if value}
