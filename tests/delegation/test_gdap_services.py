"""GDAP's transitions: request, answer, early end, and the sweep's expiry, warnings, end and
auto-extension, through time with time-machine."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from delegation.events import AuditType
from delegation.models import GdapRelationship
from delegation.services.gdap import gdap_decline, gdap_end, gdap_sweep_due
from delegation.tasks import delegation_sweep
from portal.delegation import delegated_membership
from portal.models import AuditEvent, DelegatedRole, OutboxMessage
from tests.factories import acting, member
from tests.relationships.factories import CustomerRelationshipFactory, provider_org

from .gdap_factories import gdap_setup

pytestmark = pytest.mark.django_db
Status = GdapRelationship.Status
USERS = [DelegatedRole.USER_ADMINISTRATOR]


def _audit(type: str, relationship: GdapRelationship) -> set[int]:
    return set(
        AuditEvent.objects.filter(type=type, details__gdap=relationship.pk).values_list(
            "organization_id", flat=True
        )
    )


def _mail(template: str) -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(template=template).values_list("to_email", flat=True)
    )


def test_admin_agent_requests_roles_and_the_customers_global_admins_get_the_link():
    g = gdap_setup()
    other_admin = member(g.customer)
    member(g.customer, billing_admin=True)  # not a Global admin: no email
    relationship = g.request(
        [DelegatedRole.BILLING_READER, DelegatedRole.USER_ADMINISTRATOR], duration_days=30
    )
    assert relationship.status == Status.PENDING
    assert relationship.roles == ["user_administrator", "billing_reader"]  # GDAP_ROLES order
    assert relationship.request_expires_at - relationship.requested_at == timedelta(days=90)
    assert relationship.next_action_at == relationship.request_expires_at
    assert len(relationship.key) >= 40
    assert _audit(AuditType.GDAP_REQUESTED, relationship) == {g.customer.pk, g.provider.pk}
    assert _mail("delegation_gdap_request") == sorted(
        [g.customer_admin.user.email, other_admin.user.email]
    )
    body = OutboxMessage.objects.filter(template="delegation_gdap_request").first().body_text
    assert f"/partner-relationships/gdap/{relationship.key}/" in body
    assert "User administrator" in body and "Billing reader" in body


def test_the_customers_reseller_may_request_too():
    g = gdap_setup()
    relationship = g.request(USERS, by=member(g.reseller))
    assert relationship.partner == g.reseller


def test_sales_agent_cannot_request():
    g = gdap_setup()
    with pytest.raises(PermissionDenied):
        g.request(USERS, by=member(g.provider, sales_agent=True))
    assert not GdapRelationship.objects.exists()


def test_a_partner_that_does_not_work_with_the_customer_is_refused_like_a_missing_customer():
    g = gdap_setup()
    stranger = member(provider_org(), admin_agent=True)
    with pytest.raises(ValidationError) as exc:
        g.request(USERS, by=stranger)
    assert exc.value.messages == ["Choose one of your customers."]
    assert g.customer.legal_name not in exc.value.messages[0]
    assert not GdapRelationship.objects.exists()


def test_a_provider_whose_reseller_relationship_ended_is_refused():
    g = gdap_setup()
    from relationships.models import ProviderRelationship

    ProviderRelationship.objects.filter(provider=g.provider).update(status="ended")
    with pytest.raises(ValidationError):
        g.request(USERS)


@pytest.mark.parametrize(
    ("roles", "duration", "field"),
    [
        ([], 30, "roles"),
        (["delegated_admin"], 30, "roles"),
        (["global_admin"], 30, "roles"),
        (USERS, 0, "duration_days"),
        (USERS, 731, "duration_days"),
    ],
)
def test_a_request_needs_roles_from_the_list_and_1_to_730_days(roles, duration, field):
    g = gdap_setup()
    with pytest.raises(ValidationError) as exc:
        g.request(roles, duration_days=duration)
    assert field in exc.value.error_dict
    assert not GdapRelationship.objects.exists()


def test_730_days_and_1_day_are_accepted():
    g = gdap_setup()
    assert g.request(USERS, duration_days=730).duration_days == 730
    assert g.request(USERS, duration_days=1).duration_days == 1


def test_approval_starts_the_roles_and_schedules_the_first_warning():
    g = gdap_setup()
    relationship = g.approved(USERS, duration_days=365)
    assert relationship.status == Status.ACTIVE
    assert relationship.ends_at - relationship.starts_at == timedelta(days=365)
    assert relationship.next_action_at == relationship.ends_at - timedelta(days=30)
    assert relationship.answered_by == g.customer_admin.user
    assert _audit(AuditType.GDAP_APPROVED, relationship) == {g.customer.pk, g.provider.pk}
    assert g.agent.user.email in _mail("delegation_gdap_changed")
    assert delegated_membership(g.agent.user, g.customer).delegated_roles == {"user_administrator"}


def test_decline_grants_nothing():
    g = gdap_setup()
    relationship = g.request(USERS)
    gdap_decline(**acting(g.customer_admin), relationship_id=relationship.pk)
    relationship.refresh_from_db()
    assert relationship.status == Status.DECLINED
    assert relationship.next_action_at is None
    assert delegated_membership(g.agent.user, g.customer) is None
    assert _audit(AuditType.GDAP_DECLINED, relationship) == {g.customer.pk, g.provider.pk}


def test_a_second_answer_is_refused_with_the_reason():
    g = gdap_setup()
    relationship = g.approved(USERS)
    with pytest.raises(ValidationError) as exc:
        gdap_decline(**acting(g.customer_admin), relationship_id=relationship.pk)
    assert "already answered: active" in exc.value.messages[0]


def test_only_a_global_admin_of_that_customer_answers():
    g = gdap_setup()
    relationship = g.request(USERS)
    with pytest.raises(PermissionDenied):
        gdap_decline(
            **acting(member(g.customer, billing_admin=True)), relationship_id=relationship.pk
        )
    other_customer = CustomerRelationshipFactory().customer
    with pytest.raises(GdapRelationship.DoesNotExist):
        gdap_decline(**acting(member(other_customer)), relationship_id=relationship.pk)
    with pytest.raises(PermissionDenied):  # the partner cannot answer its own request
        gdap_decline(**acting(g.agent), relationship_id=relationship.pk)
    relationship.refresh_from_db()
    assert relationship.status == Status.PENDING


def test_an_unanswered_request_expires_after_90_days():
    g = gdap_setup()
    relationship = g.request(USERS)
    with time_machine.travel(timezone.now() + timedelta(days=89, hours=23), tick=False):
        assert gdap_sweep_due() == 0
    with time_machine.travel(timezone.now() + timedelta(days=90, minutes=1), tick=False):
        with pytest.raises(ValidationError) as exc:  # refused before the sweep, too
            g.approve(relationship)
        assert "expired" in exc.value.messages[0]
        assert delegation_sweep() == 1
        assert gdap_sweep_due() == 0  # a second sweep changes nothing
    relationship.refresh_from_db()
    assert relationship.status == Status.EXPIRED
    assert relationship.next_action_at is None
    assert _audit(AuditType.GDAP_REQUEST_EXPIRED, relationship) == {g.customer.pk, g.provider.pk}
    assert g.agent.user.email in _mail("delegation_gdap_changed")


def test_roles_end_on_their_date_refused_before_the_sweep_and_ended_by_it():
    g = gdap_setup()
    relationship = g.approved(USERS, duration_days=10)
    ends_at = relationship.ends_at
    with time_machine.travel(ends_at - timedelta(minutes=1), tick=False):
        assert delegated_membership(g.agent.user, g.customer) is not None
    with time_machine.travel(ends_at + timedelta(seconds=1), tick=False):
        assert delegated_membership(g.agent.user, g.customer) is None  # not yet swept
        gdap_sweep_due()
        relationship.refresh_from_db()
        assert relationship.status == Status.ENDED
        assert relationship.ended_by is None
        assert gdap_sweep_due() == 0
    assert _audit(AuditType.GDAP_ENDED, relationship) == {g.customer.pk, g.provider.pk}


def test_auto_extend_adds_180_days_and_warns_again():
    g = gdap_setup()
    relationship = g.approved(USERS, duration_days=60, auto_extend=True)
    first_end = relationship.ends_at
    for days in (30, 53, 60):
        with time_machine.travel(relationship.starts_at + timedelta(days=days, minutes=1)):
            gdap_sweep_due()
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE
    assert relationship.ends_at == first_end + timedelta(days=180)
    assert relationship.warnings_sent == []
    assert relationship.next_action_at == relationship.ends_at - timedelta(days=30)
    with time_machine.travel(first_end + timedelta(days=1), tick=False):
        assert delegated_membership(g.agent.user, g.customer) is not None
    assert _audit(AuditType.GDAP_EXTENDED, relationship) == {g.customer.pk, g.provider.pk}


def test_warnings_30_and_7_days_before_the_end_are_sent_once_to_both_sides():
    g = gdap_setup()
    partner_admin = member(g.provider)
    relationship = g.approved(USERS, duration_days=60)
    start = relationship.starts_at
    with time_machine.travel(start + timedelta(days=29), tick=False):
        gdap_sweep_due()
    assert _mail("delegation_gdap_warning") == []
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        gdap_sweep_due()
        gdap_sweep_due()
    assert _mail("delegation_gdap_warning") == sorted(
        [g.agent.user.email, partner_admin.user.email, g.customer_admin.user.email]
    )
    with time_machine.travel(start + timedelta(days=40), tick=False):
        gdap_sweep_due()
    assert len(_mail("delegation_gdap_warning")) == 3
    with time_machine.travel(start + timedelta(days=53, minutes=1), tick=False):
        gdap_sweep_due()
        gdap_sweep_due()
    assert len(_mail("delegation_gdap_warning")) == 6
    relationship.refresh_from_db()
    assert relationship.warnings_sent == [30, 7]
    assert relationship.next_action_at == relationship.ends_at
    subjects = set(
        OutboxMessage.objects.filter(template="delegation_gdap_warning").values_list(
            "subject", flat=True
        )
    )
    assert any("30 days" in s for s in subjects) and any("7 days" in s for s in subjects)
    events = AuditEvent.objects.filter(type=AuditType.GDAP_WARNING_SENT, organization=g.customer)
    assert sorted(e.details["days"] for e in events) == [7, 30]


def test_a_short_relationship_gets_only_the_7_day_warning():
    g = gdap_setup()
    relationship = g.approved(USERS, duration_days=10)
    assert relationship.next_action_at == relationship.ends_at - timedelta(days=7)
    with time_machine.travel(relationship.starts_at + timedelta(days=3, minutes=1), tick=False):
        gdap_sweep_due()
    relationship.refresh_from_db()
    assert relationship.warnings_sent == [7]
    assert OutboxMessage.objects.filter(template="delegation_gdap_warning").count() == 2


def test_the_partner_ends_early_and_the_roles_stop_at_once():
    g = gdap_setup()
    relationship = g.approved(USERS)
    gdap_end(**acting(g.agent), relationship_id=relationship.pk)
    relationship.refresh_from_db()
    assert relationship.status == Status.ENDED
    assert relationship.ended_by_organization == g.provider
    assert delegated_membership(g.agent.user, g.customer) is None
    event = AuditEvent.objects.get(type=AuditType.GDAP_ENDED, organization=g.customer)
    assert event.actor == g.agent.user and event.details["early"] is True


def test_the_customer_ends_early():
    g = gdap_setup()
    relationship = g.approved(USERS)
    gdap_end(**acting(g.customer_admin), relationship_id=relationship.pk)
    relationship.refresh_from_db()
    assert relationship.status == Status.ENDED
    assert relationship.ended_by_organization == g.customer
    assert delegated_membership(g.agent.user, g.customer) is None
    with pytest.raises(ValidationError) as exc:
        gdap_end(**acting(g.agent), relationship_id=relationship.pk)
    assert "already ended" in exc.value.messages[0]


def test_who_may_end():
    g = gdap_setup()
    relationship = g.approved(USERS)
    with pytest.raises(PermissionDenied):
        gdap_end(**acting(member(g.provider, sales_agent=True)), relationship_id=relationship.pk)
    with pytest.raises(PermissionDenied):
        gdap_end(**acting(member(g.customer, billing_admin=True)), relationship_id=relationship.pk)
    with pytest.raises(GdapRelationship.DoesNotExist):
        gdap_end(**acting(member(provider_org())), relationship_id=relationship.pk)
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE
