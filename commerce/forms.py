from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.form_tokens import FormTokenMixin
from portal.forms import PortalFormMixin, style_widgets
from portal.widgets import speed_up_select

from .models import BillingFrequency, OfferPrice, Term


def offer_label(price: OfferPrice) -> str:
    """The offer's name and unit; its prices are in the page's table, as the orderer may see
    them (`commerce.visibility`): never the catalogue price (the provider's cost) to a
    reseller."""
    return str(
        _("%(offer)s (per %(unit)s)") % {"offer": price.offer.name, "unit": price.offer.unit_label}
    )


class OrderForm(FormTokenMixin, PortalFormMixin, forms.Form):
    offer = forms.TypedChoiceField(label=_("Offer"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    term = forms.ChoiceField(
        label=_("Term"),
        choices=Term.choices,
        initial=Term.ANNUAL,
        widget=forms.RadioSelect,
        help_text=_("An annual term costs less per month."),
    )
    billing_frequency = forms.ChoiceField(
        label=_("Billing"),
        choices=BillingFrequency.choices,
        initial=BillingFrequency.MONTHLY,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, prices: list[OfferPrice], providers=None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["offer"]).choices = [("", _("Choose an offer"))] + [
            (price.offer_id, offer_label(price)) for price in prices
        ]
        if providers is not None:
            self.fields["provider"] = forms.TypedChoiceField(
                label=_("Indirect provider"),
                coerce=int,
                choices=[("", _("Choose a provider"))] + [(p.pk, p.legal_name) for p in providers],
                help_text=_("The provider places the order and bills you for it."),
            )
            self.order_fields(["provider", "offer", "quantity", "term", "billing_frequency"])
            speed_up_select(self.fields["provider"])
            style_widgets(self)


class QuantityForm(PortalFormMixin, forms.Form):
    quantity = forms.IntegerField(label=_("New quantity"), min_value=1)
