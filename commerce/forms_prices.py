"""The Price lists page's forms: a new rule, and the preview of an offer's prices."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.form_tokens import FormTokenMixin
from portal.forms import PortalFormMixin
from portal.models import Organization
from portal.widgets import IsoDateInput

from .models import PriceRule


def _buyer_choices(organization: Organization, buyers: list[Organization]) -> list:
    everyone = (
        _("All my resellers (default)")
        if organization.kind == Organization.Kind.PROVIDER
        else _("All my customers (default)")
    )
    return [("", everyone)] + [(buyer.pk, buyer.legal_name) for buyer in buyers]


class _OfferFields(forms.Form):
    offer = forms.TypedChoiceField(label=_("Offer"), coerce=int)
    currency = forms.ChoiceField(label=_("Currency"))
    buyer = forms.TypedChoiceField(
        label=_("Applies to"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        offers: list[tuple[int, str]],
        currencies: list[str],
        buyers: list[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        offer_choices: list[tuple[Any, Any]] = [("", _("Choose an offer")), *offers]
        cast(forms.ChoiceField, self.fields["offer"]).choices = offer_choices
        currency_choices: list[tuple[Any, Any]] = [("", _("Choose a currency"))]
        currency_choices += [(c, c) for c in currencies]
        cast(forms.ChoiceField, self.fields["currency"]).choices = currency_choices
        cast(forms.ChoiceField, self.fields["buyer"]).choices = _buyer_choices(organization, buyers)


class PriceRuleForm(FormTokenMixin, PortalFormMixin, _OfferFields):
    kind = forms.ChoiceField(
        label=_("Price"),
        choices=PriceRule.Kind.choices,
        initial=PriceRule.Kind.MARKUP,
        widget=forms.RadioSelect,
    )
    markup_percent = forms.DecimalField(
        label=_("Markup (%)"),
        required=False,
        max_digits=6,
        decimal_places=2,
        help_text=_("Over your buy price, for example 12 for 12%. For a markup only."),
    )
    fixed_price = forms.DecimalField(
        label=_("Fixed price per unit per month"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text=_("In the chosen currency, for either term. For a fixed price only."),
    )
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=IsoDateInput(),
        initial=timezone.localdate,
        help_text=_(
            "New orders and renewals from this date get this price; running subscriptions keep "
            "theirs until they renew."
        ),
    )


class PricePreviewForm(PortalFormMixin, _OfferFields):
    at = forms.DateField(label=_("Date"), widget=IsoDateInput(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auto_id = "preview_%s"
