"""The enrolment's business rules (DOMAIN.md "Reseller enrolment" and "Identifiers"), each in
one function that every door calls: the wizard's and Legal info's forms, the services, the model's
`clean()` (so the operator's admin) and verification (which may import enrolment, never the
reverse).

Each validator raises a ValidationError whose message is what the person reads beside the field;
the functions that check a whole record raise one keyed by field name."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Protocol

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from portal.domains import domain_belongs_to, email_domain, validate_work_email
from portal.models import Market, Organization
from portal.sqlmemo import memo_rows_of_values

from .fields import LEGAL_ADDRESS_FIELDS, PartnerIdKind


# `enrollment.models` imports this module (the models' `clean()` calls the rules), so the rules
# name the shape of the rows they check, not the model classes.
class LegalProfile(Protocol):
    """A legal profile row (`enrollment.models.LegalProfile`), saved or a candidate: the fields
    the rules read, and the ones they normalise."""

    postal_code: str
    state: str
    registration_id: str
    primary_contact_email: str

    @property
    def country_id(self) -> str | None: ...

    @property
    def organization(self) -> Organization: ...


class PartnerId(Protocol):
    """A PartnerID row (`enrollment.models.PartnerId`)."""

    @property
    def mpn_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def country_id(self) -> str: ...

    @property
    def country(self) -> Market: ...


# Countries whose addresses need a state or province (a small, documented set).
STATE_REQUIRED_COUNTRIES = frozenset({"US", "CA", "AU", "BR", "IN", "MX"})

# Partner Center requires a company Registration ID in these countries (DOMAIN.md).
REGISTRATION_ID_COUNTRIES = frozenset(
    {
        "AM",
        "AZ",
        "BY",
        "BR",
        "HU",
        "IN",
        "IQ",
        "KZ",
        "KG",
        "MD",
        "MM",
        "PL",
        "RU",
        "SA",
        "ZA",
        "SS",
        "TJ",
        "TH",
        "TR",
        "UA",
        "AE",
        "UZ",
        "VE",
        "VN",
    }
)

# Postal code formats where we know them; elsewhere any value up to 20 characters is accepted.
# An example with "|" lists alternatives, shown as "A or B" in the reader's language.
POSTAL_CODE_FORMATS: dict[str, tuple[str, str]] = {
    "US": (r"\d{5}(-\d{4})?", "12345|12345-6789"),  # two examples, joined in the reader's words
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "K1A 0B1"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA"),
    "IE": (r"[A-Z]\d[\dW] ?[A-Z\d]{4}", "D02 X285"),
    "IT": (r"\d{5}", "20123"),
    "DE": (r"\d{5}", "10117"),
    "FR": (r"\d{5}", "75001"),
    "ES": (r"\d{5}", "28001"),
    "MX": (r"\d{5}", "06600"),
    "NL": (r"\d{4} ?[A-Z]{2}", "1012 AB"),
    "BE": (r"\d{4}", "1000"),
    "AT": (r"\d{4}", "1010"),
    "CH": (r"\d{4}", "8001"),
    "DK": (r"\d{4}", "1050"),
    "NO": (r"\d{4}", "0150"),
    "AU": (r"\d{4}", "2000"),
    "SE": (r"\d{3} ?\d{2}", "111 22"),
    "PT": (r"\d{4}-\d{3}", "1100-148"),
    "PL": (r"\d{2}-\d{3}", "00-950"),
    "BR": (r"\d{5}-?\d{3}", "01310-100"),
    "IN": (r"\d{6}", "110001"),
    "JP": (r"\d{3}-?\d{4}", "100-0001"),
}

# Mailboxes of a function, not a person; refused for the primary contact.
ROLE_MAILBOXES = frozenset(
    {
        "accounts",
        "admin",
        "administrator",
        "billing",
        "contact",
        "contacts",
        "enquiries",
        "finance",
        "hello",
        "help",
        "helpdesk",
        "hr",
        "info",
        "it",
        "legal",
        "mail",
        "marketing",
        "no-reply",
        "noreply",
        "office",
        "postmaster",
        "sales",
        "support",
        "team",
        "webmaster",
    }
)


def validate_western_european(value: str) -> None:
    """Latin-1 printable characters only (Partner Center: Western European characters)."""
    for char in value:
        code = ord(char)
        if code > 0xFF or code < 0x20 or 0x7F <= code < 0xA0:
            raise ValidationError(
                _(
                    "Use Western European (Latin) characters only; “%(char)s” can't be used. "
                    "Write the name as it is registered."
                ),
                code="charset",
                params={"char": char},
            )


def validate_https_url(value: str) -> None:
    if not value:
        return
    URLValidator(
        schemes=["https"], message=_("Enter a website address that starts with https://.")
    )(value)


def state_required(country_code: str) -> bool:
    return country_code in STATE_REQUIRED_COUNTRIES


def registration_id_required(country_code: str) -> bool:
    return country_code in REGISTRATION_ID_COUNTRIES


def postal_code_normalize(value: str, country_code: str) -> str:
    """The postal code in upper case; ValidationError when it doesn't fit the country's format."""
    value = " ".join(value.split()).upper()
    known = POSTAL_CODE_FORMATS.get(country_code)
    if known is None:
        return value
    pattern, example = known
    if not value:
        raise ValidationError(_("Enter the postal code."), code="required")
    if not re.fullmatch(pattern, value):
        raise ValidationError(
            _("Enter a postal code in the format used in this country, for example %(example)s."),
            code="postal_code",
            params={"example": _example_text(example)},
        )
    return value


def _example_text(example: str) -> str:
    first, _sep, second = example.partition("|")
    if not second:
        return first
    return _("%(first)s or %(second)s") % {"first": first, "second": second}


def phone_normalize(value: str, country_code: str, country_name: str = "") -> str:
    """The number in international format; ValidationError when it isn't valid for the country
    (a number with its own +prefix must still be a valid number)."""
    message = _(
        "Enter a valid phone number for %(country)s, for example %(example)s, "
        "or with its international prefix (+…)."
    )
    example = phonenumbers.example_number(country_code) if country_code else None
    params = {
        "country": country_name or country_code or "-",
        "example": phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if example
        else "+1 425 555 0100",
    }
    try:
        number = phonenumbers.parse(value, country_code or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(message, code="phone", params=params) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(message, code="phone", params=params)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def is_role_mailbox(email: str) -> bool:
    """A mailbox of a function (info@, admin@, ...), not of a person."""
    return email.partition("@")[0].strip().lower() in ROLE_MAILBOXES


def validate_primary_contact_email(email: str, organization_domain: str) -> None:
    """A person's mailbox in the organization's domain (or a subdomain), not consumer mail."""
    validate_work_email(email)
    domain = email_domain(email)
    if organization_domain and not domain_belongs_to(domain, organization_domain):
        raise ValidationError(
            _("Use an email address in your organization's domain, %(domain)s."),
            code="domain_mismatch",
            params={"domain": organization_domain},
        )
    if is_role_mailbox(email):
        raise ValidationError(
            _(
                "Enter a person's own mailbox. Shared addresses such as info@, admin@ or "
                "marketing@ can't be the primary contact."
            ),
            code="role_address",
        )


# --- The legal business profile as a whole (forms check fields one by one; this checks a row) ---

# Free-text fields of the profile written in Western European characters.
_LATIN_FIELDS = (
    "legal_name",
    *LEGAL_ADDRESS_FIELDS,
    "registration_id",
    "primary_contact_first_name",
    "primary_contact_last_name",
)
_PHONE_FIELDS = ("phone", "primary_contact_phone", "support_phone")
_URL_FIELDS = ("website", "support_website")


def legal_profile_validate(
    profile: LegalProfile, *, organization_domain: str, fields: Iterable[str] | None = None
) -> None:
    """Every rule of a legal profile row, for `fields` (default: all): phones valid for the
    country, postal code in the country's format, state and Registration ID where required,
    https websites, Western European names, a person's work mailbox as primary contact.
    Normalises the values it accepts (phones in international format, postal code in upper
    case, email in lower case) and raises one ValidationError keyed by field otherwise."""
    check = set(fields) if fields is not None else None

    def wanted(name: str) -> bool:
        return check is None or name in check

    country: Market | None = getattr(profile, "country", None) if profile.country_id else None
    code, name = (country.code, country.display_name) if country else ("", "")
    errors: dict[str, list[ValidationError]] = {}

    def attempt(field: str, run) -> None:
        try:
            run()
        except ValidationError as exc:
            errors.setdefault(field, []).append(exc)

    for field in _LATIN_FIELDS:
        if wanted(field) and getattr(profile, field):
            attempt(field, lambda f=field: validate_western_european(getattr(profile, f)))
    for field in _PHONE_FIELDS:
        if wanted(field):

            def _phone(f: str = field) -> None:
                setattr(profile, f, phone_normalize(getattr(profile, f), code, name))

            attempt(field, _phone)
    for field in _URL_FIELDS:
        if wanted(field):
            attempt(field, lambda f=field: validate_https_url(getattr(profile, f)))
    if code and wanted("postal_code"):

        def _postal() -> None:
            profile.postal_code = postal_code_normalize(profile.postal_code, code)

        attempt("postal_code", _postal)
    if code and wanted("state") and state_required(code) and not profile.state.strip():
        errors.setdefault("state", []).append(state_missing(name))
    if (
        code
        and wanted("registration_id")
        and registration_id_required(code)
        and not profile.registration_id.strip()
    ):
        errors.setdefault("registration_id", []).append(registration_id_missing(name))
    if wanted("primary_contact_email"):
        profile.primary_contact_email = profile.primary_contact_email.strip().lower()
        attempt(
            "primary_contact_email",
            lambda: validate_primary_contact_email(
                profile.primary_contact_email, organization_domain
            ),
        )
    if errors:
        raise ValidationError(errors)


def state_missing(country_name: str) -> ValidationError:
    return ValidationError(
        _("Enter the state or province; it's required in %(country)s."),
        code="required",
        params={"country": country_name},
    )


# A primary contact as a service or a form names it, and the profile's field behind each name.
PRIMARY_CONTACT_FIELDS = {
    "first_name": "primary_contact_first_name",
    "last_name": "primary_contact_last_name",
    "email": "primary_contact_email",
    "phone": "primary_contact_phone",
}


def primary_contact_validate(
    *, profile: LegalProfile, first_name: str, last_name: str, email: str, phone: str
) -> dict[str, str]:
    """A new primary contact for `profile`, checked by `legal_profile_validate` (a person's
    work mailbox in the organization's domain, a phone valid for the country, Western European
    names): the normalised values by name, or a ValidationError keyed by name."""
    values = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    candidate = copy.copy(profile)  # the profile itself keeps its contact until a service saves
    for name, field in PRIMARY_CONTACT_FIELDS.items():
        setattr(candidate, field, values[name])
    try:
        legal_profile_validate(
            candidate,
            organization_domain=profile.organization.primary_domain,
            fields=PRIMARY_CONTACT_FIELDS.values(),
        )
    except ValidationError as exc:
        by_field = {field: name for name, field in PRIMARY_CONTACT_FIELDS.items()}
        raise ValidationError(
            {by_field[field]: errors for field, errors in exc.error_dict.items()}
        ) from exc
    return {name: getattr(candidate, field) for name, field in PRIMARY_CONTACT_FIELDS.items()}


def registration_id_missing(country_name: str) -> ValidationError:
    return ValidationError(
        _("Enter the company's Registration ID; it's required in %(country)s."),
        code="required",
        params={"country": country_name},
    )


# --- One organization per company (DOMAIN.md: legal name + country, and domain) ---

DUPLICATE_MESSAGE = _("This company already has an account; ask its Global admin to add you.")


def organization_duplicates(
    *,
    legal_name: str | None = None,
    country: Market | str | None = None,
    domains: Iterable[str] = (),
    exclude: Organization | None = None,
) -> QuerySet[Organization]:
    """Cross-tenant on purpose: the organizations (not closed) that a company with this legal
    name in this country, or holding one of these domains, would duplicate. The one definition
    the wizard, the customer sign-up and verification's duplicate check share."""
    match = Q(pk__in=[])
    country_code = country.code if isinstance(country, Market) else country
    if legal_name and legal_name.strip() and country_code:
        match |= Q(legal_name__iexact=legal_name.strip(), country_id=country_code)
    for domain in {d.strip().lower() for d in domains if d and d.strip()}:
        match |= Q(primary_domain__iexact=domain)
    candidates = Organization.objects.filter(match).exclude(status=Organization.Status.CLOSED)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    return candidates


def validate_not_duplicate(
    *,
    legal_name: str | None = None,
    country: Market | str | None = None,
    domains: Iterable[str] = (),
    exclude: Organization | None = None,
) -> None:
    domains = tuple(domains)
    country_code = country.code if isinstance(country, Market) else country
    name = legal_name.strip() if legal_name else ""
    if name and country_code and not any(d and d.strip() for d in domains):
        # The legal step's check, on every Next: its SQL compiled once (portal.sqlmemo), the
        # name, the country and the organization left out (0: none) its only values.
        found = bool(
            memo_rows_of_values(
                "enrollment.rules.validate_not_duplicate",
                _duplicate_of_name,
                (name, country_code, exclude.pk if exclude is not None else 0),
            )
        )
    else:
        found = organization_duplicates(
            legal_name=legal_name, country=country, domains=domains, exclude=exclude
        ).exists()
    if found:
        raise ValidationError(DUPLICATE_MESSAGE, code="duplicate")


def _duplicate_of_name(name: str, country_code: str, excluded: int) -> QuerySet:
    return (
        organization_duplicates(legal_name=name, country=country_code)
        .exclude(pk=excluded)
        .order_by()
        .values_list("pk", named=True)[:1]
    )


# --- PartnerIDs (DOMAIN.md "Identifiers") ---

# PartnerIDs (MPN IDs) are numeric; Partner Center's are 6 to 10 digits.
PARTNER_ID_PATTERN = r"\d{6,10}"
PARTNER_ID_MESSAGE = _("A PartnerID is a number of 6 to 10 digits.")


def validate_partner_id_format(value: str) -> None:
    if not re.fullmatch(PARTNER_ID_PATTERN, value or ""):
        raise ValidationError(PARTNER_ID_MESSAGE, code="partner_id")


def partner_id_in_account_country(*, partner_id_country: str, account_country: str | None) -> bool:
    """DOMAIN.md (seed step 5, IMPORTANT): the PartnerID associated with a CSP account must be
    in the account's country (a UK PartnerID does not serve a French account)."""
    return account_country is not None and partner_id_country == account_country


def validate_partner_id_association(
    partner_id: PartnerId, *, account_country: Market | None
) -> None:
    """Only a location PartnerID in the account's country can be the Associated PartnerID; a
    mismatch names both countries."""
    if partner_id.kind != PartnerIdKind.LOCATION:
        raise ValidationError(
            _("Associate a location PartnerID; a PartnerGlobal ID can't be associated."),
            code="partner_id_kind",
        )
    if not partner_id_in_account_country(
        partner_id_country=partner_id.country_id,
        account_country=account_country.code if account_country else None,
    ):
        raise ValidationError(
            _(
                "PartnerID %(mpn_id)s is in %(id_country)s; your CSP account is in "
                "%(account_country)s. Associate a PartnerID from %(account_country)s."
            ),
            code="partner_id_country",
            params={
                "mpn_id": partner_id.mpn_id,
                "id_country": partner_id.country.display_name,
                "account_country": account_country.display_name
                if account_country
                else _("no country yet"),
            },
        )
