"""The organization's audit log at /audit-log/: Global admins read who did what, for whom, when
and from where; filters, pages and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from enrollment.events import AuditType as EnrollmentType
from portal.audit import AuditContextMiddleware, audit_record, audit_record_for
from portal.models import AuditEvent, Organization
from relationships.events import AuditType as RelationshipsType
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

URL = "/audit-log/"


def _record(organization, actor, n=1, **details):
    for _ in range(n):
        audit_record(
            type=EnrollmentType.MEMBERSHIP_ADDED,
            organization=organization,
            actor=actor,
            **({"email": "new@example.com"} | details),
        )


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_global_admin_reads_who_did_what_when_and_from_where(client_for, reseller_admin):
    org = reseller_admin.organization
    audit_record(
        type=EnrollmentType.MEMBERSHIP_ROLES_CHANGED,
        organization=org,
        actor=reseller_admin.user,
        ip_address="203.0.113.9",
        email="agent@example.com",
        after=["admin_agent"],
    )
    page = client_for(reseller_admin).get(URL).text
    assert "User&#x27;s roles changed" in page
    assert reseller_admin.user.get_full_name() in page
    assert "203.0.113.9" in page
    assert "Email: agent@example.com; After: Admin agent" in page  # codes worded when read


def test_other_roles_get_403_and_no_navigation_entry(client_for, reseller_admin):
    agent = member(reseller_admin.organization, admin_agent=True, billing_admin=True)
    client = client_for(agent)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}?format=csv").status_code == 403
    assert 'href="/audit-log/"' not in client.get("/dashboard/").text
    assert 'href="/audit-log/"' in client_for(reseller_admin).get("/dashboard/").text


@pytest.mark.parametrize("kind", list(Organization.Kind))
def test_every_kind_of_organization_has_an_audit_log_for_its_global_admins(client_for, kind):
    admin = member(OrganizationFactory(kind=kind))
    assert client_for(admin).get(URL).status_code == 200


def test_another_tenants_events_are_never_shown(client_for, reseller_admin, other_tenant_admin):
    _record(other_tenant_admin.organization, other_tenant_admin.user, email="secret@other.example")
    client = client_for(reseller_admin)
    other = other_tenant_admin.user.pk
    for path in (URL, f"{URL}?person={other}", f"{URL}?format=csv&person={other}"):
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"secret@other.example" not in body


def test_a_request_stamps_its_client_ip_and_the_actors_organization(client_for, reseller_admin):
    agent = member(reseller_admin.organization, sales_agent=True)
    response = client_for(reseller_admin).post(
        f"/settings/users/{agent.pk}/", {"roles": ["admin_agent"]}, REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(type=EnrollmentType.MEMBERSHIP_ROLES_CHANGED)
    assert event.ip_address == "198.51.100.4"
    assert event.actor_organization == reseller_admin.organization
    assert "198.51.100.4" in client_for(reseller_admin).get(URL).text


def test_the_request_context_ends_with_the_request(reseller_admin):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")
    request.user = reseller_admin.user
    request.organization = reseller_admin.organization

    def view(request):
        _record(reseller_admin.organization, reseller_admin.user)
        return None

    AuditContextMiddleware(view)(request)
    _record(reseller_admin.organization, reseller_admin.user)  # after the request
    inside, after = AuditEvent.objects.order_by("pk")
    assert (inside.ip_address, inside.actor_organization) == (
        "192.0.2.1",
        reseller_admin.organization,
    )
    assert (after.ip_address, after.actor_organization) == (None, None)


def test_acting_in_another_organization_shows_in_both_logs(client_for, reseller_admin):
    provider_admin = member(OrganizationFactory(kind=Organization.Kind.PROVIDER))
    provider, reseller = provider_admin.organization, reseller_admin.organization
    # The provider's agent acts in the reseller's account: the reseller sees for whom, and the
    # provider's own log keeps what its person did.
    audit_record(
        type=RelationshipsType.RESELLER_INVITATION_DECLINED,
        organization=reseller,
        actor=provider_admin.user,
        actor_organization=provider,
    )
    reseller_page = client_for(reseller_admin).get(URL).text
    assert "Partnership request declined" in reseller_page
    assert f"for {provider.legal_name}" in reseller_page
    provider_page = client_for(provider_admin).get(URL).text
    assert "Partnership request declined" in provider_page
    assert AuditEvent.objects.filter(organization=provider, actor=provider_admin.user).exists()


def test_an_event_for_several_organizations_is_one_row_in_each_log(reseller_admin):
    provider = OrganizationFactory(kind=Organization.Kind.PROVIDER)
    customer = OrganizationFactory(kind=Organization.Kind.CUSTOMER)
    audit_record_for(
        type=RelationshipsType.ORDER_PLACED,
        organizations=[provider, reseller_admin.organization, customer],
        actor=reseller_admin.user,
        actor_organization=reseller_admin.organization,
    )
    assert sorted(AuditEvent.objects.values_list("organization_id", flat=True)) == sorted(
        [provider.pk, reseller_admin.organization.pk, customer.pk]
    )


def test_filters_by_type_person_and_dates(client_for, reseller_admin):
    org = reseller_admin.organization
    colleague = member(org, admin_agent=True)
    _record(org, reseller_admin.user, email="mine@example.com")
    _record(org, colleague.user, email="colleagues@example.com")
    audit_record(type=EnrollmentType.PARTNER_ID_ADDED, organization=org, mpn_id="1234567")
    old = AuditEvent.objects.get(details__mpn_id="1234567")
    old.created_at = timezone.now() - timedelta(days=40)
    old.save(update_fields=["created_at"])
    client = client_for(reseller_admin)

    page = client.get(URL, {"person": colleague.user.pk}).text
    assert "colleagues@example.com" in page and "mine@example.com" not in page
    page = client.get(URL, {"type": EnrollmentType.PARTNER_ID_ADDED}).text
    assert "1234567" in page and "mine@example.com" not in page
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    page = client.get(URL, {"date_from": since}).text
    assert "mine@example.com" in page and "1234567" not in page
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    page = client.get(URL, {"date_to": until}).text
    assert "1234567" in page and "mine@example.com" not in page


def test_the_filters_offer_the_catalogue_and_the_members(client_for, reseller_admin):
    colleague = member(reseller_admin.organization, admin_agent=True)
    page = client_for(reseller_admin).get(URL).text
    assert '<label class="form-label" for="id_type">Event</label>' in page
    assert f'<option value="{RelationshipsType.ORDER_PLACED.value}">Order placed</option>' in page
    assert f'<option value="{colleague.user.pk}">{colleague.user.get_full_name()}</option>' in page


def test_dates_in_the_wrong_order_are_explained_and_nothing_is_listed(client_for, reseller_admin):
    _record(reseller_admin.organization, reseller_admin.user, email="mine@example.com")
    client = client_for(reseller_admin)
    page = client.get(URL, {"date_from": "2026-05-02", "date_to": "2026-05-01"}).text
    assert "There is a problem" in page
    assert 'href="#id_date_to"' in page
    assert "mine@example.com" not in page
    page = client.get(URL, {"date_from": "yesterday"}).text
    assert 'href="#id_date_from"' in page


def test_pages_of_fifty_newest_first(client_for, reseller_admin):
    org = reseller_admin.organization
    _record(org, reseller_admin.user, n=55)
    first = client_for(reseller_admin).get(URL)
    assert first.text.count("Email: new@example.com") == 50
    after = first.context["page"].next_cursor
    second = client_for(reseller_admin).get(URL, {"after": after})
    assert second.text.count("Email: new@example.com") == 5
    assert "Newer" in second.text


@pytest.mark.parametrize("rows", [1, 3])
def test_a_page_costs_the_same_queries_at_any_size(
    client_for, reseller_admin, django_assert_num_queries, rows
):
    org = reseller_admin.organization
    provider = OrganizationFactory(kind=Organization.Kind.PROVIDER)
    for n in range(rows):
        someone = member(org, sales_agent=True) if n % 10 == 0 else reseller_admin
        audit_record(
            type=EnrollmentType.MEMBERSHIP_ADDED,
            organization=org,
            actor=someone.user,
            actor_organization=provider if n % 3 else org,
            ip_address="192.0.2.7",
        )
    client = client_for(reseller_admin)
    client.get(URL)  # warm the session and the request context (portal/request_context.py)
    # the members; one page of events with people and organizations
    with django_assert_num_queries(2):
        assert client.get(URL, {"person": reseller_admin.user.pk}).status_code == 200
    with django_assert_num_queries(2):
        assert client.get(URL).status_code == 200


def test_the_csv_export_streams_every_matching_event_formula_safe(client_for, reseller_admin):
    org = reseller_admin.organization
    _record(org, reseller_admin.user, n=60, email="=HYPERLINK(1)")
    audit_record(type=EnrollmentType.PARTNER_ID_ADDED, organization=org, mpn_id="1234567")
    response = client_for(reseller_admin).get(
        URL, {"format": "csv", "type": EnrollmentType.MEMBERSHIP_ADDED}
    )
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:5] == ["When (UTC)", "Person", "Person's email", "Acting for", "Event"]
    assert len(rows) == 61
    assert rows[1][4:7] == ["User added", "membership.added", "Email: =HYPERLINK(1)"]


def test_a_formula_in_a_person_name_is_neutralised_in_the_csv(client_for, reseller_admin):
    reseller_admin.user.first_name, reseller_admin.user.last_name = "=cmd", "x"
    reseller_admin.user.save()
    _record(reseller_admin.organization, reseller_admin.user)
    rows = _csv(client_for(reseller_admin).get(URL, {"format": "csv"}))
    assert rows[1][1] == "'=cmd x"
