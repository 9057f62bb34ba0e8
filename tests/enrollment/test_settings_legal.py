import pytest

from portal.models import AuditEvent, Notification
from tests.factories import member, profile_for

pytestmark = pytest.mark.django_db

URL = "/settings/legal/"


def edit_data(profile, **overrides):
    fields = [
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "phone",
        "website",
        "primary_contact_first_name",
        "primary_contact_last_name",
        "primary_contact_email",
        "primary_contact_phone",
        "support_email",
        "support_phone",
        "support_website",
    ]
    return {**{f: getattr(profile, f) for f in fields}, **overrides}


def test_legal_info_shows_the_profile_to_every_member(client_for, reseller_admin):
    profile = profile_for(reseller_admin.organization)
    agent = member(reseller_admin.organization, sales_agent=True)
    page = client_for(agent).get(URL).text
    assert profile.primary_contact_email in page
    assert "Edit legal info" not in page


def test_global_admin_edits_the_address_with_an_audit_event_and_notification(
    client_for, reseller_admin, other_tenant_admin
):
    profile = profile_for(reseller_admin.organization)
    other = profile_for(other_tenant_admin.organization)
    response = client_for(reseller_admin).post(
        URL, edit_data(profile, city="Milano", postal_code="20123")
    )
    assert response["Location"] == URL
    profile.refresh_from_db()
    assert (profile.city, profile.postal_code) == ("Milano", "20123")
    event = AuditEvent.objects.get(type="legal_profile.updated")
    assert set(event.details["fields"]) == {"city", "postal_code"}
    assert Notification.objects.filter(organization=reseller_admin.organization).exists()
    other.refresh_from_db()
    assert other.city == "Roma"


def test_the_legal_name_and_country_cannot_be_changed(client_for, reseller_admin):
    profile = profile_for(reseller_admin.organization)
    client_for(reseller_admin).post(
        URL, edit_data(profile, legal_name="Renamed S.p.A.", country="FR")
    )
    profile.refresh_from_db()
    assert profile.legal_name == reseller_admin.organization.legal_name
    assert profile.country_id == "IT"


def test_legal_info_edits_follow_the_enrolment_rules(client_for, reseller_admin):
    profile = profile_for(reseller_admin.organization)
    response = client_for(reseller_admin).post(
        URL,
        edit_data(profile, postal_code="ABC", primary_contact_email="info@gmail.com", city="Pisa"),
    )
    assert response.status_code == 200
    text = response.text
    assert "Enter a postal code in the format used in this country" in text
    assert "Use your work email address." in text
    assert 'value="Pisa"' in text
    profile.refresh_from_db()
    assert profile.city == "Roma"


def test_only_global_admins_edit_legal_info(client_for, reseller_admin):
    profile = profile_for(reseller_admin.organization)
    agent = member(reseller_admin.organization, admin_agent=True)
    response = client_for(agent).post(URL, edit_data(profile, city="Milano"))
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.city == "Roma"


def test_during_verification_the_primary_contact_changes_on_the_verification_page(
    client_for, reseller_admin
):
    from portal.models import Organization

    org = reseller_admin.organization
    org.status = Organization.Status.SUBMITTED
    org.save()
    profile = profile_for(org)
    response = client_for(reseller_admin).post(
        URL, edit_data(profile, primary_contact_email=f"bea@{org.primary_domain}")
    )
    assert response.status_code == 200
    assert "change the primary contact on the Verification page" in response.text
    profile.refresh_from_db()
    assert profile.primary_contact_email == f"anna@{org.primary_domain}"
