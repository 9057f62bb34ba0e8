"""Form shapes only; every rule lives in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from portal.models import Market, Organization


class BootstrapFormMixin:
    """Bootstrap classes on every widget, `is-invalid` on fields with errors (Django adds
    aria-invalid and aria-describedby pointing at `<id>_error`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"


class ResellerInviteForm(BootstrapFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Reseller admin's email"),
        help_text=_("The work email address of the reseller's Global admin or Admin agent."),
    )
    partner_id = forms.CharField(
        label=_("PartnerID"),
        required=False,
        max_length=12,
        validators=[RegexValidator(r"^\d{5,12}$", _("A PartnerID is 5 to 12 digits."))],
        help_text=_("The reseller's PartnerID (MPN ID), if you know it."),
    )


class AuthorizeProviderForm(BootstrapFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I authorize this indirect provider for my company."),
        error_messages={"required": _("Tick the box to confirm the authorization.")},
    )


class CustomerInviteForm(BootstrapFormMixin, forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Indirect provider"),
        queryset=Organization.objects.none(),
        empty_label=_("Choose a provider"),
        help_text=_("The customer will be shared with this provider."),
    )
    email = forms.EmailField(label=_("Customer's email"))
    company_name = forms.CharField(label=_("Company name"), max_length=200)

    def __init__(self, *args: Any, providers=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if providers is not None:
            self.fields["provider"].queryset = providers


class AcceptCustomerInvitationForm(BootstrapFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I accept the reseller relationship with both companies."),
        error_messages={"required": _("Tick the box to accept the relationship.")},
    )


class CustomerOrganizationForm(BootstrapFormMixin, forms.Form):
    legal_name = forms.CharField(label=_("Company legal name"), max_length=200)
    country = forms.ModelChoiceField(
        label=_("Country"), queryset=Market.objects.none(), empty_label=_("Choose a country")
    )

    def __init__(self, *args: Any, markets=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if markets is not None:
            self.fields["country"].queryset = markets


class OrderForm(BootstrapFormMixin, forms.Form):
    offer_name = forms.CharField(
        label=_("Offer"),
        max_length=120,
        help_text=_("For example: Microsoft 365 Business Standard."),
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10000)
