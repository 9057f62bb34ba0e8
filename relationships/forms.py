"""Form shapes only; every rule lives in the services (and the rule functions they share)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from enrollment.rules import validate_partner_id_format
from portal.countries import sorted_by_name
from portal.forms import PortalFormMixin
from portal.models import Market, Organization


class EmailLanguageMixin(forms.Form):
    """The language of the invitation email when the address has no account yet (a person's
    own saved language wins); the sender's language is preselected."""

    language = forms.ChoiceField(
        label=_("Email language"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Used when the address has no account in the portal yet."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = get_language()


class ResellerInviteForm(EmailLanguageMixin, PortalFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Reseller admin's email"),
        help_text=_("The work email address of the reseller's Global admin or Admin agent."),
    )
    partner_id = forms.CharField(
        label=_("PartnerID"),
        required=False,
        validators=[validate_partner_id_format],
        help_text=_("The reseller's PartnerID (MPN ID), if you know it."),
    )


class AuthorizeProviderForm(PortalFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I authorize this indirect provider for my company."),
        error_messages={"required": _("Tick the box to confirm the authorization.")},
    )


class CustomerInviteForm(EmailLanguageMixin, PortalFormMixin, forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Indirect provider"),
        queryset=Organization.objects.none(),
        empty_label=_("Choose a provider"),
        help_text=_("The customer will be shared with this provider."),
    )
    email = forms.EmailField(label=_("Customer's email"))
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    include_admin_access = forms.BooleanField(
        label=_("Include delegated admin access"),
        required=False,
        initial=True,
        help_text=_(
            "Accepting also lets your Admin agents and the provider's administer the customer's "
            "account on its behalf, until the customer or you remove that access."
        ),
    )

    def __init__(
        self, *args: Any, providers: QuerySet[Organization] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if providers is not None:
            cast(forms.ModelChoiceField, self.fields["provider"]).queryset = providers


class AcceptCustomerInvitationForm(PortalFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I accept the reseller relationship with both companies."),
        error_messages={"required": _("Tick the box to accept the relationship.")},
    )


class CustomerOrganizationForm(PortalFormMixin, forms.Form):
    legal_name = forms.CharField(label=_("Company legal name"), max_length=200)
    country = forms.ModelChoiceField(
        label=_("Country"), queryset=Market.objects.none(), empty_label=_("Choose a country")
    )

    def __init__(self, *args: Any, markets: QuerySet[Market] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if markets is not None:
            field = cast(forms.ModelChoiceField, self.fields["country"])
            field.queryset = markets
            # The reader's names in the reader's alphabetical order (the table's are English).
            field.choices = [
                ("", field.empty_label),
                *sorted_by_name((m.pk, m.display_name) for m in markets),
            ]


class BulkInvitationUploadForm(PortalFormMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV (with or without BOM), up to 5,000 rows and 2 MB, with the template's "
            "columns on the first line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, providers=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if providers is not None:
            self.fields["provider"] = forms.ModelChoiceField(
                label=_("Indirect provider"),
                queryset=providers,
                empty_label=_("Choose a provider"),
                help_text=_("Every customer in the file will be shared with this provider."),
            )
            self.order_fields(["provider", "file"])
