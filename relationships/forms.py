"""Form shapes only; every rule lives in the services (and the rule functions they share)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.text import get_text_list
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from enrollment.rules import validate_partner_id_format
from portal.countries import sorted_by_name
from portal.form_tokens import FormTokenMixin
from portal.forms import PortalFormMixin, style_widgets
from portal.models import DelegatedRole, Market, Organization
from portal.policy import ACCEPTANCE_GDAP_DAYS, ACCEPTANCE_GDAP_ROLES
from portal.widgets import speed_up_select


class EmailLanguageMixin(forms.Form):
    """The language of the invitation email when the address has no account yet (a person's
    own saved language wins); the sender's language is preselected. The select comes right
    after the address it is about (Partner Center asks for the address first)."""

    language = forms.ChoiceField(
        label=_("Email language"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Used when the address has no account in the portal yet."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = get_language()
        names = [name for name in self.fields if name != "language"]
        names.insert(names.index("email") + 1, "language")
        self.order_fields(names)


class ResellerInviteForm(FormTokenMixin, EmailLanguageMixin, PortalFormMixin, forms.Form):
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


class CustomerInviteForm(FormTokenMixin, EmailLanguageMixin, PortalFormMixin, forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Indirect provider"),
        queryset=Organization.objects.none(),
        empty_label=_("Choose a provider"),
        help_text=_("The customer will be shared with this provider."),
    )
    email = forms.EmailField(label=_("Customer's email"))
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    include_admin_access = forms.BooleanField(
        label=_("Request granular admin roles"),
        required=False,
        initial=True,
    )

    def __init__(
        self, *args: Any, providers: QuerySet[Organization] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if providers is not None:
            cast(forms.ModelChoiceField, self.fields["provider"]).queryset = providers
        self.fields["include_admin_access"].help_text = (
            _(
                "The customer can approve %(roles)s for your Admin agents for %(days)s days as it "
                "accepts. Delegated admin access (DAP) is no longer granted to new customers."
            )
            % gdap_offer()
        )


class ApproveGdapForm(PortalFormMixin, forms.Form):
    """The customer's choice, as it accepts an invitation that asks for granular admin roles, to
    approve them at once (ticked by default); no box when the invitation asks for none. The
    acceptance page and the invitations inbox both ask it."""

    approve_gdap = forms.BooleanField(
        label=_("Also approve the granular admin roles the reseller asks for"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, offers_gdap: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not offers_gdap:
            del self.fields["approve_gdap"]
            return
        self.fields["approve_gdap"].help_text = (
            _(
                "%(roles)s, for %(days)s days. You can end them at any time from Partner "
                "relationships."
            )
            % gdap_offer()
        )


class AcceptCustomerInvitationForm(ApproveGdapForm):
    field_order = ["confirm", "approve_gdap"]

    confirm = forms.BooleanField(
        label=_("I accept the reseller relationship with both companies."),
        error_messages={"required": _("Tick the box to accept the relationship.")},
    )


def gdap_offer() -> dict[str, Any]:
    """The granular admin roles a customer approves as it accepts, in the reader's words."""
    return {
        "roles": get_text_list(
            [DelegatedRole(role).label for role in ACCEPTANCE_GDAP_ROLES], _("and")
        ),
        "days": ACCEPTANCE_GDAP_DAYS,
    }


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
            "CSV UTF-8, CSV or Unicode text, up to 5,000 rows and 2 MB, with the template's "
            "columns on the first line."
        ),
        # Excel saves "Unicode text" as .txt; some tools save tab-separated files as .tsv.
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.txt,.tsv,text/csv,text/plain,text/tab-separated-values"}
        ),
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
            # Added after PortalFormMixin styled the class's fields: styled the same way.
            speed_up_select(self.fields["provider"])
            style_widgets(self)
