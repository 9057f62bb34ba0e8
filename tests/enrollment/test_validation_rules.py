"""Every refusal of the wizard: the message a person sees beside the field, in the summary,
and nothing saved."""

import html

import pytest
from django.test import Client

from enrollment.models import EnrollmentDraft, LegalProfile
from portal.models import ConsumerEmailDomain, Organization
from tests.enrollment.factories import contact_data, drafting_user, legal_data, support_data
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

BASE = "/enroll/reseller/"


def _post(draft, step, data):
    client = Client()
    client.force_login(draft.user)
    return client.post(f"{BASE}{step}/", {**data, "nav": "next"})


def _assert_refused(response, draft, field, message):
    assert response.status_code == 200
    page = html.unescape(response.text)
    # beside the field ...
    assert f'id="id_{field}_error"' in page
    error_block = page.split(f'id="id_{field}_error"', 1)[1].split("</div>", 1)[0]
    assert message in error_block
    # ... and in the summary at the top
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert message in summary
    assert f'href="#id_{field}"' in summary
    before = (draft.step, draft.data)
    draft.refresh_from_db()
    assert (draft.step, draft.data) == before
    assert not LegalProfile.objects.exists()


LEGAL_CASES = [
    ("non_latin_legal_name", {"legal_name": "Акме Групп"}, "legal_name", "Western European"),
    ("non_latin_address", {"address_line1": "東京 1"}, "address_line1", "Western European"),
    ("empty_address", {"address_line1": ""}, "address_line1", "This field is required."),
    (
        "long_address",
        {"address_line1": "a" * 201},
        "address_line1",
        "Use at most 200 characters (you used 201).",
    ),
    ("empty_city", {"city": ""}, "city", "This field is required."),
    (
        "state_missing_in_us",
        {"country": "US", "state": "", "postal_code": "98052", "phone": "+1 425 882 8080"},
        "state",
        "Enter the state or province; it's required in United States of America.",
    ),
    (
        "postal_code_wrong_for_italy",
        {"postal_code": "2012"},
        "postal_code",
        "Enter a postal code in the format used in this country, for example 20123.",
    ),
    (
        "postal_code_wrong_for_uk",
        {"country": "GB", "postal_code": "12345", "phone": "+44 20 7946 0018"},
        "postal_code",
        "for example SW1A 1AA",
    ),
    (
        "phone_not_valid_for_italy",
        {"phone": "123"},
        "phone",
        "Enter a valid phone number for Italy",
    ),
    ("website_not_https", {"website": "http://acme.example"}, "website", "https://"),
    (
        "registration_id_missing_in_poland",
        {
            "country": "PL",
            "postal_code": "00-950",
            "phone": "+48 22 123 45 67",
            "registration_id": "",
        },
        "registration_id",
        "Enter the company's Registration ID; it's required in Poland.",
    ),
    ("country_not_a_csp_market", {"country": "XX"}, "country", "Select a valid choice."),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [case[1:] for case in LEGAL_CASES],
    ids=[case[0] for case in LEGAL_CASES],
)
def test_legal_step_refuses(overrides, field, message):
    draft = drafting_user()
    response = _post(draft, "legal", legal_data(**overrides))
    _assert_refused(response, draft, field, message)


def test_legal_step_refuses_a_legal_name_and_country_already_enrolled():
    OrganizationFactory(legal_name="Acme Cloud S.R.L.", status=Organization.Status.VERIFIED)
    draft = drafting_user()
    response = _post(draft, "legal", legal_data())
    _assert_refused(
        response,
        draft,
        "legal_name",
        "This company already has an account; ask its Global admin to add you.",
    )


def test_the_same_legal_name_in_another_country_is_accepted():
    OrganizationFactory(legal_name="Acme Cloud S.r.l.", status=Organization.Status.VERIFIED)
    draft = drafting_user()
    data = legal_data(country="DE", state="", postal_code="10117", phone="+49 30 1234567")
    assert _post(draft, "legal", data).status_code == 302


def test_legal_step_accepts_western_european_accents_and_a_registration_id_where_optional():
    draft = drafting_user()
    data = legal_data(legal_name="Società Ñandú Straße S.r.l.", registration_id="")
    assert _post(draft, "legal", data).status_code == 302
    draft.refresh_from_db()
    assert draft.data["legal"]["legal_name"] == "Società Ñandú Straße S.r.l."


CONTACT_CASES = [
    (
        "long_first_name",
        {"primary_contact_first_name": "A" * 51},
        "primary_contact_first_name",
        "Use at most 50 characters (you used 51).",
    ),
    (
        "empty_last_name",
        {"primary_contact_last_name": ""},
        "primary_contact_last_name",
        "This field is required.",
    ),
    (
        "non_latin_name",
        {"primary_contact_last_name": "Ηλίας"},
        "primary_contact_last_name",
        "Western European",
    ),
    (
        "consumer_email",
        {"primary_contact_email": "anna@gmail.com"},
        "primary_contact_email",
        "Use your work email address.",
    ),
    (
        "consumer_email_family",
        {"primary_contact_email": "anna@yahoo.co.uk"},
        "primary_contact_email",
        "Use your work email address.",
    ),
    (
        "other_company_domain",
        {"primary_contact_email": "anna@elsewhere.example"},
        "primary_contact_email",
        "Use an email address in your organization's domain",
    ),
    (
        "role_address",
        {"primary_contact_email": "info@{domain}"},
        "primary_contact_email",
        "Enter a person's own mailbox.",
    ),
    (
        "marketing_role_address",
        {"primary_contact_email": "marketing@{domain}"},
        "primary_contact_email",
        "Enter a person's own mailbox.",
    ),
    (
        "phone_invalid_for_country",
        {"primary_contact_phone": "+39 1"},
        "primary_contact_phone",
        "Enter a valid phone number for Italy",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [case[1:] for case in CONTACT_CASES],
    ids=[case[0] for case in CONTACT_CASES],
)
def test_contact_step_refuses(overrides, field, message):
    draft = drafting_user(through="legal")
    domain = draft.organization.primary_domain
    overrides = {k: v.format(domain=domain) for k, v in overrides.items()}
    response = _post(draft, "contact", contact_data(domain, **overrides))
    _assert_refused(response, draft, field, message)


def test_consumer_domains_are_data_the_operator_extends():
    draft = drafting_user(domain="newmail.example", through="legal")
    ConsumerEmailDomain.objects.create(pattern="newmail.example")
    response = _post(draft, "contact", contact_data("newmail.example"))
    _assert_refused(response, draft, "primary_contact_email", "Use your work email address.")


def test_contact_email_in_a_subdomain_of_the_organization_is_accepted():
    draft = drafting_user(through="legal")
    domain = draft.organization.primary_domain
    data = contact_data(domain, primary_contact_email=f"anna@it.{domain}")
    assert _post(draft, "contact", data).status_code == 302


SUPPORT_CASES = [
    ("bad_email", {"support_email": "nope"}, "support_email", "Enter a valid email address."),
    ("bad_phone", {"support_phone": "12"}, "support_phone", "Enter a valid phone number for Italy"),
    ("http_site", {"support_website": "http://help.example"}, "support_website", "https://"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [case[1:] for case in SUPPORT_CASES],
    ids=[case[0] for case in SUPPORT_CASES],
)
def test_support_step_refuses(overrides, field, message):
    draft = drafting_user(through="contact")
    domain = draft.organization.primary_domain
    response = _post(draft, "support", support_data(domain, **overrides))
    _assert_refused(response, draft, field, message)


def test_refusals_leave_other_tenants_untouched(other_tenant_admin):
    org = other_tenant_admin.organization
    before = (org.legal_name, org.status)
    draft = drafting_user()
    _post(draft, "legal", legal_data(phone="1"))
    org.refresh_from_db()
    assert (org.legal_name, org.status) == before
    assert EnrollmentDraft.objects.count() == 1
