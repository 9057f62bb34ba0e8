import pytest
from django.core.exceptions import ValidationError

from enrollment import rules

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("98052", "US", "98052"),
        ("98052-6399", "US", "98052-6399"),
        ("k1a 0b1", "CA", "K1A 0B1"),
        ("sw1a 1aa", "GB", "SW1A 1AA"),
        ("1012ab", "NL", "1012AB"),
        ("00-950", "PL", "00-950"),
        ("anything goes", "AE", "ANYTHING GOES"),  # no known format
    ],
)
def test_postal_codes_in_the_countrys_format_are_accepted(value, country, expected):
    assert rules.postal_code_normalize(value, country) == expected


@pytest.mark.parametrize(
    ("value", "country"), [("9805", "US"), ("K1A0B", "CA"), ("123456", "IT"), ("", "DE")]
)
def test_postal_codes_out_of_format_are_refused(value, country):
    with pytest.raises(ValidationError):
        rules.postal_code_normalize(value, country)


def test_phone_numbers_are_checked_for_the_country_and_normalised():
    assert rules.phone_normalize("02 1234 5678", "IT", "Italy") == "+39 02 1234 5678"
    assert rules.phone_normalize("(425) 882-8080", "US") == "+1 425-882-8080"
    with pytest.raises(ValidationError) as error:
        rules.phone_normalize("12", "IT", "Italy")
    assert "Enter a valid phone number for Italy" in error.value.messages[0]


@pytest.mark.parametrize("value", ["Müller & Søn", "Ça Va S.à r.l.", "O'Brien-Ltd.", "Straße 5"])
def test_western_european_characters_are_accepted(value):
    rules.validate_western_european(value)


@pytest.mark.parametrize("value", ["Łódź", "東京", "Ελλάδα", "tab\there", "€uro"])
def test_other_characters_are_refused(value):
    with pytest.raises(ValidationError):
        rules.validate_western_european(value)


def test_websites_must_use_https():
    rules.validate_https_url("https://example.com/about")
    rules.validate_https_url("")
    for value in ["http://example.com", "ftp://example.com", "example.com"]:
        with pytest.raises(ValidationError):
            rules.validate_https_url(value)


@pytest.mark.parametrize("local", ["info", "Admin", "marketing", "sales", "no-reply", "hr"])
def test_role_mailboxes_are_refused_for_the_primary_contact(local):
    with pytest.raises(ValidationError) as error:
        rules.validate_primary_contact_email(f"{local}@acme.example", "acme.example")
    assert error.value.code == "role_address"


def test_state_and_registration_id_countries():
    assert rules.state_required("US") and not rules.state_required("IT")
    assert rules.registration_id_required("BR") and not rules.registration_id_required("FR")
