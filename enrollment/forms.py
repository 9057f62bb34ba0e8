"""Forms of the enrolment wizard and of Legal info. Field names are LegalProfile's, so a step's
cleaned data (`as_draft()`) is stored in the draft as is and becomes the profile on submit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.form_tokens import FormTokenMixin
from portal.forms import PairedChoices, PortalFormMixin, storable_text
from portal.models import Market, Organization
from portal.selectors import market_name, market_names
from portal.widgets import IsoDateInput

from . import rules

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # The mixins below are only ever mixed into forms; the type checker sees them as forms.
    _FormBase = forms.BaseForm
else:
    _FormBase = object

# The longest value Back keeps for a field without a max_length of its own (a choice).
TYPED_LIMIT = 200
DUPLICATE_MESSAGE = rules.DUPLICATE_MESSAGE


def _text(
    label: StrOrPromise,
    *,
    max_length: int,
    required: bool = True,
    latin: bool = True,
    **kwargs: Any,
) -> forms.CharField:
    validators: list[Callable[[Any], None]] = [MaxLengthValidator(max_length)]
    if required:
        validators.append(MinLengthValidator(1))
    if latin:
        validators.append(rules.validate_western_european)
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        validators=validators,
        error_messages={
            "max_length": _("Use at most %(limit_value)d characters (you used %(show_value)d)."),
        },
        **kwargs,
    )


def market_choices() -> PairedChoices:
    return PairedChoices([("", _("Select a country")), *market_names()])


class MarketChoices(PairedChoices):
    """The legal step's countries: every market, read when the select is drawn (iterated);
    a posted code is checked and named by reading its one market (`name_of`). A valid Next
    then never reads the 242 markets and sorts their names (issue 21)."""

    def __init__(self) -> None:
        self._pairs: list[tuple[Any, Any]] | None = None
        self._names: dict[str, str | None] = {}

    @property
    def pairs(self) -> list[tuple[Any, Any]]:  # type: ignore[override]
        if self._pairs is None:
            self._pairs = market_choices().pairs
        return self._pairs

    def name_of(self, code: str) -> str | None:
        """The market's name in the reader's language, None when no market has `code`."""
        if self._pairs is not None:
            return dict(self._pairs).get(code) if code else None
        if code not in self._names:
            self._names[code] = market_name(code) if code else None
        return self._names[code]


class MarketChoiceField(forms.ChoiceField):
    """A country: with `MarketChoices`, a posted value is valid when its one market exists."""

    def valid_value(self, value: Any) -> bool:
        choices = self.choices
        if isinstance(choices, MarketChoices):
            return choices.name_of(str(value)) is not None
        return super().valid_value(value)


class DraftForm(PortalFormMixin, forms.Form):
    def as_draft(self) -> dict[str, str]:
        """The cleaned data as JSON-serialisable strings (for the draft)."""
        return {name: str(value) for name, value in self.cleaned_data.items()}

    def as_typed_draft(self) -> dict[str, str]:
        """What was typed, for Back: kept as typed (Next validates it again) but only this
        form's fields, without what PostgreSQL cannot store, and no longer than each field
        allows."""
        typed = {}
        for name, field in self.fields.items():
            value = storable_text(str(self.data.get(name, "")))
            typed[name] = value[: getattr(field, "max_length", None) or TYPED_LIMIT]
        return typed


class AddressFieldsMixin(_FormBase):
    """Cleaning shared by the wizard's legal step and Legal info (the country is given)."""

    autocomplete = {
        "legal_name": "organization",
        "address_line1": "address-line1",
        "address_line2": "address-line2",
        "city": "address-level2",
        "state": "address-level1",
        "postal_code": "postal-code",
        "country": "country",
        "phone": "tel",
        "website": "url",
    }

    country_code: str = ""
    country_name: str = ""

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "")
        return rules.phone_normalize(value, self.country_code, self.country_name)

    def clean_website(self) -> str:
        value = self.cleaned_data.get("website", "").strip()
        rules.validate_https_url(value)
        return value

    def _clean_state_and_postal_code(self, cleaned: dict[str, Any]) -> None:
        if not self.country_code:
            return
        if rules.state_required(self.country_code) and not cleaned.get("state"):
            self.add_error("state", rules.state_missing(self.country_name))
        if "postal_code" in cleaned:
            try:
                cleaned["postal_code"] = rules.postal_code_normalize(
                    cleaned["postal_code"], self.country_code
                )
            except forms.ValidationError as exc:
                self.add_error("postal_code", exc)


class LegalForm(AddressFieldsMixin, DraftForm):
    legal_name = _text(
        _("Legal name"),
        max_length=200,
        help_text=_("Exactly as registered with the authorities, without abbreviations."),
    )
    address_line1 = _text(_("Address line 1"), max_length=200)
    address_line2 = _text(_("Address line 2"), max_length=200, required=False)
    city = _text(_("City"), max_length=100)
    state = _text(
        _("State or province"),
        max_length=100,
        required=False,
        help_text=_("Required in the United States, Canada, Australia, Brazil, India and Mexico."),
    )
    postal_code = _text(
        _("Postal code"),
        max_length=20,
        required=False,
        help_text=_("Required in countries that use postal codes, in their usual format."),
    )
    country = MarketChoiceField(
        label=_("Country"),
        help_text=_("Your CSP country: it can't be changed after enrolment."),
    )
    phone = forms.CharField(label=_("Company phone"), max_length=32)
    website = forms.CharField(
        label=_("Website"), max_length=200, required=False, help_text=_("https://…")
    )
    registration_id = _text(
        _("Registration ID"),
        max_length=64,
        required=False,
        help_text=_("Company registration number; required in some countries."),
    )

    def __init__(self, *args: Any, organization: Organization | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.countries = MarketChoices()
        cast(forms.ChoiceField, self.fields["country"]).choices = self.countries

    def clean_phone(self) -> str:
        # The country is validated in clean(); the phone waits for it.
        return self.cleaned_data.get("phone", "").strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        code = cleaned.get("country", "")
        # A valid country is one of the field's choices, named in the reader's language by
        # the look-up that validated it: no second one.
        country_name = self.countries.name_of(code)
        if not code or country_name is None:
            return cleaned
        self.country_code, self.country_name = code, str(country_name)
        if "phone" in cleaned:
            try:
                cleaned["phone"] = rules.phone_normalize(
                    cleaned["phone"], self.country_code, self.country_name
                )
            except forms.ValidationError as exc:
                self.add_error("phone", exc)
        self._clean_state_and_postal_code(cleaned)
        if rules.registration_id_required(code) and not cleaned.get("registration_id"):
            self.add_error("registration_id", rules.registration_id_missing(self.country_name))
        name = cleaned.get("legal_name")
        if name:
            try:
                rules.validate_not_duplicate(
                    legal_name=name, country=code, exclude=self.organization
                )
            except forms.ValidationError as exc:
                self.add_error("legal_name", exc)
        return cleaned


class ContactForm(DraftForm):
    autocomplete = {
        "primary_contact_first_name": "given-name",
        "primary_contact_last_name": "family-name",
        "primary_contact_email": "email",
        "primary_contact_phone": "tel",
    }

    primary_contact_first_name = _text(_("First name"), max_length=50)
    primary_contact_last_name = _text(_("Last name"), max_length=50)
    primary_contact_email = forms.EmailField(label=_("Email"), max_length=254)
    primary_contact_phone = forms.CharField(label=_("Phone"), max_length=32)

    def __init__(self, *args: Any, organization_domain: str, country: Market | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_domain = organization_domain
        self.country = country
        self.fields["primary_contact_email"].help_text = _(
            "A person's work mailbox at %(domain)s. We'll email them to confirm the enrolment."
        ) % {"domain": organization_domain}

    def clean_primary_contact_email(self) -> str:
        email = self.cleaned_data["primary_contact_email"].lower()
        rules.validate_primary_contact_email(email, self.organization_domain)
        return email

    def clean_primary_contact_phone(self) -> str:
        code, name = (self.country.code, self.country.display_name) if self.country else ("", "")
        return rules.phone_normalize(self.cleaned_data["primary_contact_phone"], code, name)


class SupportCleaningMixin(_FormBase):
    country: Market | None = None

    def clean_support_phone(self) -> str:
        code, name = (self.country.code, self.country.display_name) if self.country else ("", "")
        return rules.phone_normalize(self.cleaned_data["support_phone"], code, name)

    def clean_support_website(self) -> str:
        value = self.cleaned_data.get("support_website", "").strip()
        rules.validate_https_url(value)
        return value


class SupportForm(SupportCleaningMixin, DraftForm):
    support_email = forms.EmailField(label=_("Support email"), max_length=254)
    support_phone = forms.CharField(label=_("Support phone"), max_length=32)
    support_website = forms.CharField(
        label=_("Support website"), max_length=200, required=False, help_text=_("https://…")
    )

    def __init__(self, *args: Any, country: Market | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.country = country


class LegalInfoEditForm(AddressFieldsMixin, PortalFormMixin, forms.Form):
    """Legal info after enrolment: the legal name and country are not editable here."""

    address_line1 = LegalForm.base_fields["address_line1"]
    address_line2 = LegalForm.base_fields["address_line2"]
    city = LegalForm.base_fields["city"]
    state = LegalForm.base_fields["state"]
    postal_code = LegalForm.base_fields["postal_code"]
    phone = forms.CharField(label=_("Company phone"), max_length=32)
    website = LegalForm.base_fields["website"]

    def __init__(self, *args: Any, country: Market, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.country_code, self.country_name = country.code, country.display_name

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self._clean_state_and_postal_code(cleaned)
        return cleaned


class LegalInfoContactsForm(SupportCleaningMixin, ContactForm):
    """Primary contact and customer support, edited together on Legal info."""

    support_email = SupportForm.base_fields["support_email"]
    support_phone = SupportForm.base_fields["support_phone"]
    support_website = SupportForm.base_fields["support_website"]


class PartnerIdForm(PortalFormMixin, forms.Form):
    mpn_id = forms.CharField(label=_("PartnerID"), validators=[rules.validate_partner_id_format])
    kind = forms.ChoiceField(label=_("Type"))
    location_name = _text(_("Location"), max_length=120, required=False)
    country = forms.ChoiceField(label=_("Country"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        from .models import PartnerId

        kind = cast(forms.ChoiceField, self.fields["kind"])
        kind.choices = PartnerId.Kind.choices
        kind.initial = PartnerId.Kind.LOCATION
        cast(forms.ChoiceField, self.fields["country"]).choices = market_choices()


class LegacyLinkForm(PortalFormMixin, forms.Form):
    sign_in_name = forms.CharField(label=_("Sign-in name"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=128)


class AgreementAcceptForm(PortalFormMixin, forms.Form):
    autocomplete = {
        "first_name": "given-name",
        "last_name": "family-name",
        "title": "organization-title",
        "email": "email",
    }

    first_name = _text(_("First name"), max_length=50)
    last_name = _text(_("Last name"), max_length=50)
    title = _text(_("Title"), max_length=100, help_text=_("Your job title."))
    email = forms.EmailField(label=_("Email"))
    accepted_on = forms.DateField(
        label=_("Date"), widget=IsoDateInput(), initial=timezone.localdate
    )
    confirm = forms.BooleanField(
        label=_("I have read the Partner Agreement and accept it on behalf of my organization."),
        error_messages={"required": _("Tick the box to accept the Partner Agreement.")},
    )

    def clean_accepted_on(self):
        value = self.cleaned_data["accepted_on"]
        if value != timezone.localdate():
            raise forms.ValidationError(_("Enter today's date."))
        return value


def role_choices() -> list[tuple[str, StrOrPromise]]:
    from .services.members import PARTNER_ROLES

    return [(role.value, role.label) for role in PARTNER_ROLES]


class MemberRolesForm(PortalFormMixin, forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        widget=forms.CheckboxSelectMultiple,
        # The same words as the services' rule (members.py), said before calling them.
        error_messages={"required": _("Select at least one role.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["roles"]).choices = role_choices()


class MemberAddForm(FormTokenMixin, MemberRolesForm):
    email = forms.EmailField(label=_("Work email"), max_length=254)
    first_name = _text(_("First name"), max_length=50)
    last_name = _text(_("Last name"), max_length=50)

    field_order = ["email", "first_name", "last_name", "roles"]
