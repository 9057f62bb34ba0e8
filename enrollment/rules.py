"""Field rules of the legal business profile and its contacts (DOMAIN.md "Reseller enrolment").

Each validator raises a ValidationError whose message is what the person reads beside the field.
They are plain functions so that forms, services and admin actions apply the same rules."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from portal.domains import domain_belongs_to, email_domain, is_consumer_domain

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


def validate_primary_contact_email(email: str, organization_domain: str) -> None:
    """A person's mailbox in the organization's domain (or a subdomain), not consumer mail."""
    local, _at, _rest = email.partition("@")
    domain = email_domain(email)
    if is_consumer_domain(domain):
        raise ValidationError(
            _(
                "Use a work email address. Consumer web mail such as Gmail, Yahoo! Mail, "
                "iCloud Mail, AOL Mail or Outlook.com can't be the primary contact."
            ),
            code="consumer_domain",
        )
    if organization_domain and not domain_belongs_to(domain, organization_domain):
        raise ValidationError(
            _("Use an email address in your organization's domain, %(domain)s."),
            code="domain_mismatch",
            params={"domain": organization_domain},
        )
    if local.lower() in ROLE_MAILBOXES:
        raise ValidationError(
            _(
                "Enter a person's own mailbox. Shared addresses such as info@, admin@ or "
                "marketing@ can't be the primary contact."
            ),
            code="role_address",
        )
