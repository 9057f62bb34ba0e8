"""Every door applies the same rule: what a form refuses, the service behind it refuses too, and
so does the operator's admin (through the model's `clean()`), with the same message."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test import RequestFactory

from enrollment import rules
from enrollment.forms import LegalInfoContactsForm, LegalInfoEditForm, PartnerIdForm
from enrollment.models import LegalProfile, PartnerId
from enrollment.services import (
    enrollment_start,
    legal_profile_update,
    partner_id_add,
    partner_id_associate,
)
from portal.domains import CONSUMER_DOMAIN_MESSAGE
from portal.models import Market, Organization, User
from relationships.forms import ResellerInviteForm
from relationships.services.customers import customer_organization_create
from relationships.services.reseller_invitations import reseller_invitation_create
from tests.factories import OrganizationFactory, UserFactory, acting, member, profile_for
from tests.relationships.factories import CustomerInvitationFactory
from tests.verification.factories import submitted_reseller
from verification.forms import ContactChangeForm
from verification.services import case_contact_change, case_open
from verification.services.checks import checks_evaluate

pytestmark = pytest.mark.django_db

ROLE_MESSAGE = "Enter a person's own mailbox."
PHONE_MESSAGE = "Enter a valid phone number for Italy"
POSTAL_MESSAGE = "Enter a postal code in the format used in this country"


def _messages(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(exc.value.message_dict[field])


# --- Legal info: the form and legal_profile_update refuse the same values ---

LEGAL_CASES = [
    ("phone", "12", PHONE_MESSAGE),
    ("postal_code", "ABC", POSTAL_MESSAGE),
    ("primary_contact_email", "legal@{domain}", ROLE_MESSAGE),
    ("primary_contact_email", "anna@gmail.com", str(CONSUMER_DOMAIN_MESSAGE)),
    ("primary_contact_email", "anna@elsewhere.example", "in your organization's domain"),
    ("primary_contact_phone", "12", PHONE_MESSAGE),
    ("support_phone", "12", PHONE_MESSAGE),
    ("website", "http://plain.example", "https://"),
    ("city", "Αθήνα", "Western European"),
]


def _legal_form_errors(profile: LegalProfile, field: str, value: str) -> str:
    data = {
        **{f: getattr(profile, f) for f in LegalInfoEditForm.base_fields},
        **{f: getattr(profile, f) for f in LegalInfoContactsForm.base_fields},
        field: value,
    }
    address = LegalInfoEditForm(data, country=profile.country)
    contacts = LegalInfoContactsForm(
        data, organization_domain=profile.organization.primary_domain, country=profile.country
    )
    errors = (
        {**address.errors, **contacts.errors}
        if not (address.is_valid() and contacts.is_valid())
        else {}
    )
    return " ".join(errors.get(field, []))


@pytest.mark.parametrize(("field", "value", "message"), LEGAL_CASES)
def test_legal_profile_update_refuses_what_the_legal_info_form_refuses(
    reseller_admin, field, value, message
):
    profile = profile_for(reseller_admin.organization)
    value = value.format(domain=reseller_admin.organization.primary_domain)
    assert message in _legal_form_errors(profile, field, value)
    with pytest.raises(ValidationError) as exc:
        legal_profile_update(actor=reseller_admin.user, profile=profile, changes={field: value})
    assert message in _messages(exc, field)
    profile.refresh_from_db()
    assert getattr(profile, field) != value


def test_legal_profile_update_stores_what_it_accepts_normalised(reseller_admin):
    profile = profile_for(reseller_admin.organization)
    changed = legal_profile_update(
        actor=reseller_admin.user,
        profile=profile,
        changes={"phone": "06 9876 5432", "postal_code": " 00185 "},
    )
    profile.refresh_from_db()
    assert sorted(changed) == ["phone", "postal_code"]
    assert (profile.phone, profile.postal_code) == ("+39 06 9876 5432", "00185")


def test_legal_profile_update_requires_the_state_where_the_country_uses_one(reseller_admin):
    profile = profile_for(reseller_admin.organization)
    LegalProfile.objects.filter(pk=profile.pk).update(country=Market.objects.get(code="US"))
    profile.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        legal_profile_update(
            actor=reseller_admin.user, profile=profile, changes={"city": "Seattle"}
        )
    assert "Enter the state or province" in " ".join(exc.value.message_dict["state"])


# --- The primary contact on the Verification page: form and case_contact_change ---

CONTACT_CASES = [
    ("phone", "12", PHONE_MESSAGE),
    ("email", "legal@{domain}", ROLE_MESSAGE),
    ("email", "nora@gmail.com", str(CONSUMER_DOMAIN_MESSAGE)),
    ("email", "nora@other.example", "in your organization's domain"),
]


@pytest.fixture
def waiting_case(django_capture_on_commit_callbacks):
    partner = submitted_reseller()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(organization=partner.organization, actor=partner.user)
    return partner, case


@pytest.mark.parametrize(("field", "value", "message"), CONTACT_CASES)
def test_case_contact_change_refuses_what_the_contact_form_refuses(
    waiting_case, field, value, message
):
    partner, case = waiting_case
    profile = partner.organization.legal_profile
    domain = partner.organization.primary_domain
    data = {
        "first_name": "Nora",
        "last_name": "Neri",
        "email": f"nora.neri@{domain}",
        "phone": "+39 02 1234 5601",
        field: value.format(domain=domain),
    }
    form = ContactChangeForm(data, profile=profile)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    with pytest.raises(ValidationError) as exc:
        case_contact_change(actor=partner.user, case=case, **data)
    assert message in _messages(exc, field)
    profile.refresh_from_db()
    assert profile.primary_contact_email.startswith("paola.verdi@")


# --- Consumer mail: one function, one message, at every door ---


def test_consumer_mail_is_refused_with_one_message_at_sign_up_enrolment_and_contacts():
    user = UserFactory(email="someone@gmail.com")
    with pytest.raises(ValidationError) as exc:
        enrollment_start(actor=user)
    assert exc.value.messages == [str(CONSUMER_DOMAIN_MESSAGE)]
    with pytest.raises(ValidationError) as exc:
        rules.validate_primary_contact_email("anna@yahoo.co.uk", "acme.example")
    assert exc.value.messages == [str(CONSUMER_DOMAIN_MESSAGE)]


def test_role_mailboxes_are_one_list():
    assert rules.is_role_mailbox("Legal@acme.example")
    assert rules.is_role_mailbox("no-reply@acme.example")
    assert not rules.is_role_mailbox("anna.bruni@acme.example")


# --- PartnerIDs: one format everywhere, and the account's country ---


@pytest.mark.parametrize("value", ["12345", "12345678901", "12a456"])
def test_every_partner_id_door_refuses_the_same_formats(reseller_admin, value):
    assert not PartnerIdForm({"mpn_id": value, "kind": "location", "country": "IT"}).is_valid()
    assert not ResellerInviteForm({"email": "a@b.example", "partner_id": value}).is_valid()
    with pytest.raises(ValidationError) as exc:
        partner_id_add(
            actor=reseller_admin.user,
            organization=reseller_admin.organization,
            mpn_id=value,
            kind=PartnerId.Kind.LOCATION,
            location_name="",
            country=Market.objects.get(code="IT"),
        )
    assert str(rules.PARTNER_ID_MESSAGE) in " ".join(exc.value.message_dict["mpn_id"])
    provider = member(OrganizationFactory(kind=Organization.Kind.PROVIDER))
    with pytest.raises(ValidationError) as exc:
        reseller_invitation_create(**acting(provider), email="boss@new.example", partner_id=value)
    assert str(rules.PARTNER_ID_MESSAGE) in " ".join(exc.value.message_dict["partner_id"])


def test_a_partner_id_from_another_country_is_refused_by_the_service_and_the_admin(reseller_admin):
    uk = PartnerId.objects.create(
        organization=reseller_admin.organization,
        mpn_id="5550001",
        country=Market.objects.get(code="GB"),
    )
    with pytest.raises(ValidationError, match="is in United Kingdom; your CSP account is in Italy"):
        partner_id_associate(actor=reseller_admin.user, partner_id=uk)
    uk.is_associated = True
    with pytest.raises(ValidationError) as exc:
        uk.full_clean()
    assert "is in United Kingdom" in " ".join(exc.value.message_dict["is_associated"])


def test_verification_checks_the_partner_id_country_with_the_same_rule():
    partner = submitted_reseller()
    PartnerId.objects.create(
        organization=partner.organization,
        mpn_id="5550002",
        country=Market.objects.get(code="FR"),
        is_associated=True,
    )
    results = {
        name: passed for name, passed, _e in checks_evaluate(organization=partner.organization)
    }
    assert results["partner_id_country"] is False
    assert not rules.partner_id_in_account_country(partner_id_country="FR", account_country="IT")


# --- The admin goes through the model's clean(), so through the same rules ---


def _admin_form(model, instance, **changes):
    superuser = User.objects.create_superuser("root@operator.example", "x")
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin_site._registry[model]
    form_class = model_admin.get_form(request, instance)
    data = {
        name: (
            getattr(instance, f"{name}_id")
            if hasattr(instance, f"{name}_id")
            else getattr(instance, name)
        )
        for name in form_class.base_fields
    }
    data = {k: ("" if v is None else v) for k, v in {**data, **changes}.items()}
    return form_class(data, instance=instance)


def test_the_admin_refuses_a_legal_profile_the_forms_refuse(reseller_admin):
    profile = profile_for(reseller_admin.organization)
    form = _admin_form(
        LegalProfile,
        profile,
        phone="12",
        primary_contact_email=f"legal@{reseller_admin.organization.primary_domain}",
    )
    assert not form.is_valid()
    assert PHONE_MESSAGE in " ".join(form.errors["phone"])
    assert ROLE_MESSAGE in " ".join(form.errors["primary_contact_email"])


def test_the_admin_refuses_a_partner_id_the_forms_refuse(reseller_admin):
    partner_id = PartnerId.objects.create(
        organization=reseller_admin.organization,
        mpn_id="5550003",
        country=Market.objects.get(code="IT"),
    )
    form = _admin_form(PartnerId, partner_id, mpn_id="12")
    assert not form.is_valid()
    assert str(rules.PARTNER_ID_MESSAGE) in " ".join(form.errors["mpn_id"])


# --- One organization per company: one function for the wizard, customers and verification ---


def test_the_legal_names_check_finds_each_duplicate_with_its_sql_compiled_once():
    """`validate_not_duplicate` with a name and a country (the legal step's Next) runs SQL
    compiled once (`portal.sqlmemo.memo_rows_of_values`) on PostgreSQL; on SQLite, whose
    `iexact` escapes the name for LIKE, the ORM reads it. Either way the same answers."""
    taken = OrganizationFactory(legal_name="Memo Taken S.p.A.", status=Organization.Status.VERIFIED)
    OrganizationFactory(legal_name="Memo Closed S.p.A.", status=Organization.Status.CLOSED)
    OrganizationFactory(legal_name="Memo 100% Cloud_IT", status=Organization.Status.VERIFIED)

    def refused(name: str, country: str = "IT", exclude=None) -> bool:
        try:
            rules.validate_not_duplicate(legal_name=name, country=country, exclude=exclude)
        except ValidationError as exc:
            assert exc.messages == [str(rules.DUPLICATE_MESSAGE)]
            return True
        return False

    rules.validate_not_duplicate(legal_name="Memo Warm", country="IT")
    spy = mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql)
    with spy as compiled:
        assert refused("  memo taken s.p.a. ")
        assert not refused("Memo Taken S.p.A.", country="DE")
        assert not refused("Memo Taken S.p.A.", exclude=taken)  # the organization itself
        assert not refused("Memo Closed S.p.A.")
        assert refused("memo 100% cloud_it")
        assert not refused("Memo 100_ Cloud%IT")  # LIKE's wildcards are only characters
        assert not refused("Memo Taken S.p.A")
    if connection.vendor == "postgresql":
        assert compiled.call_count == 0


def test_duplicate_organization_is_one_rule_with_one_message():
    existing = OrganizationFactory(primary_domain="taken.example", legal_name="Taken S.p.A.")
    assert rules.organization_duplicates(domains=["TAKEN.example"]).get() == existing
    assert rules.organization_duplicates(legal_name="taken s.p.a.", country="IT").get() == existing
    with pytest.raises(ValidationError) as exc:
        enrollment_start(actor=UserFactory(email="new.person@taken.example"))
    assert exc.value.messages == [str(rules.DUPLICATE_MESSAGE)]
    invitation = CustomerInvitationFactory(email="boss@taken.example")
    with pytest.raises(ValidationError) as exc:
        customer_organization_create(
            actor=UserFactory(email="boss@taken.example"),
            invitation=invitation,
            legal_name="Taken Again",
            country=Market.objects.get(code="IT"),
        )
    assert exc.value.messages == [str(rules.DUPLICATE_MESSAGE)]
