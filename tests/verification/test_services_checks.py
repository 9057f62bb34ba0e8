import pytest

from enrollment.models import PartnerId
from portal.models import ConsumerEmailDomain, Market
from tests.verification.factories import submitted_reseller
from verification.models import CheckResult
from verification.services import checks_evaluate

Name = CheckResult.Name
pytestmark = pytest.mark.django_db


def _results(partner):
    return {
        name: (passed, evidence)
        for name, passed, evidence in checks_evaluate(organization=partner.organization)
    }


def test_a_clean_application_passes_every_check():
    results = _results(submitted_reseller())
    assert all(passed for passed, _evidence in results.values())
    assert results[Name.PARTNER_ID_COUNTRY][1] == {"not_applicable": True}


def test_contact_at_another_domain_fails_the_domain_check_with_evidence():
    partner = submitted_reseller(primary_contact_email="pat@elsewhere.example")
    passed, evidence = _results(partner)[Name.EMAIL_DOMAIN]
    assert passed is False
    assert evidence["contact_email_domain"] == "elsewhere.example"


def test_contact_at_the_website_domain_passes_the_domain_check():
    partner = submitted_reseller(
        website="https://www.brand.example", primary_contact_email="pat@mail.brand.example"
    )
    assert _results(partner)[Name.EMAIL_DOMAIN][0] is True


def test_consumer_mailbox_fails_the_consumer_check():
    ConsumerEmailDomain.objects.get_or_create(pattern="gmail.com")
    partner = submitted_reseller(primary_contact_email="pat@gmail.com")
    assert _results(partner)[Name.NOT_CONSUMER][0] is False


def test_same_legal_name_and_country_elsewhere_is_a_duplicate():
    first = submitted_reseller()
    second = submitted_reseller(legal_name=first.organization.legal_profile.legal_name.upper())
    passed, evidence = _results(second)[Name.NO_DUPLICATE]
    assert passed is False
    assert evidence["matches"][0]["id"] == first.organization.pk


def test_same_name_in_another_country_is_not_a_duplicate():
    first = submitted_reseller()
    second = submitted_reseller(
        country="DE", legal_name=first.organization.legal_profile.legal_name
    )
    assert _results(second)[Name.NO_DUPLICATE][0] is True


def test_associated_partner_id_in_another_country_fails_naming_both():
    partner = submitted_reseller()
    PartnerId.objects.create(
        organization=partner.organization,
        mpn_id="1234567",
        country=Market.objects.get(code="GB"),
        is_associated=True,
    )
    passed, evidence = _results(partner)[Name.PARTNER_ID_COUNTRY]
    assert passed is False
    assert (evidence["partner_id_country"], evidence["account_country"]) == ("GB", "IT")


def test_country_in_the_market_list_passes_with_its_region():
    passed, evidence = _results(submitted_reseller(country="FR"))[Name.CSP_MARKET]
    assert passed is True and evidence["region"]
