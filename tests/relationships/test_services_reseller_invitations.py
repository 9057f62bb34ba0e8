from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.models import AuditEvent, Notification, Organization, OutboxMessage
from relationships.errors import InvitationUnavailable
from relationships.models import (
    InvitationStatus,
    ProviderRelationship,
    RelationshipEvent,
    ResellerInvitation,
)
from relationships.services.reseller_invitations import (
    reseller_invitation_accept,
    reseller_invitation_create,
    reseller_invitation_decline,
    reseller_invitation_resend,
    reseller_invitation_revoke,
)
from tests.factories import acting, member
from tests.relationships.factories import (
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def _accept(invitation, membership):
    return reseller_invitation_accept(**acting(membership), invitation_id=invitation.pk)


def _assert_nothing_changed(invitation):
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not ProviderRelationship.objects.exists()
    assert not RelationshipEvent.objects.exists()


# Creating ------------------------------------------------------------------------------------


def test_provider_invites_reseller_by_email_with_a_single_use_expiring_link():
    provider = provider_org()
    admin = member(provider)
    invitation = reseller_invitation_create(
        **acting(admin), email="Nadia@Northwind-New.example", partner_id="1234567"
    )
    assert invitation.email == "nadia@northwind-new.example"
    assert invitation.status == InvitationStatus.PENDING
    assert len(invitation.key) == 43
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    message = OutboxMessage.objects.get(to_email="nadia@northwind-new.example")
    assert f"/invitations/{invitation.key}/" in message.body_text
    assert provider.legal_name in message.subject
    assert AuditEvent.objects.filter(type="relationships.reseller_invitation.sent").exists()


def _no_word_about(reseller, *texts):
    for text in texts:
        assert reseller.legal_name not in text
        assert reseller.country.region.name not in text


def test_inviting_a_stranger_reseller_in_another_region_says_nothing_about_it():
    """A provider with no relationship learns neither the name nor the region of the company
    behind an email address: the invitation is sent; the reseller's admins see the region
    refusal when they open it (test_reseller_in_another_region_cannot_authorize)."""
    provider = provider_org()  # Europe only
    reseller = reseller_org(country="US", primary_domain="litware-us.example")
    invitation = reseller_invitation_create(
        **acting(member(provider)), email="admin@litware-us.example"
    )
    assert invitation.status == InvitationStatus.PENDING
    message = OutboxMessage.objects.get(to_email="admin@litware-us.example")
    _no_word_about(reseller, message.subject)
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller))
    assert "is in the CSP region United States" in " ".join(exc.value.messages)


@pytest.mark.parametrize("email_domain", ["unknown.example", "fabrikam-eu.example"])
def test_a_partner_id_of_another_company_is_neither_refused_nor_named(email_domain):
    """Which company owns a PartnerID is not the inviting provider's business: neither a
    PartnerID owned by a US reseller nor one owned by another company than the email's
    makes the invitation answer differently from an unknown PartnerID."""
    from enrollment.models import PartnerId
    from portal.models import Market

    provider = provider_org()
    owner = reseller_org(country="US")
    reseller_org(primary_domain="fabrikam-eu.example")
    PartnerId.objects.create(
        organization=owner, mpn_id="7654321", country=Market.objects.get(code="US")
    )
    invitation = reseller_invitation_create(
        **acting(member(provider)), email=f"someone@{email_domain}", partner_id="7654321"
    )
    assert invitation.partner_id == "7654321"
    assert invitation.status == InvitationStatus.PENDING


def test_refusals_answer_the_same_for_a_registered_and_an_unknown_company():
    provider = provider_org()
    admin = member(provider)
    reseller_org(country="US", primary_domain="litware-us.example")
    outcomes = []
    for email in ("a@litware-us.example", "a@nobody-here.example"):
        reseller_invitation_create(**acting(admin), email=email)
        with pytest.raises(ValidationError) as exc:
            reseller_invitation_create(**acting(admin), email=email)
        outcomes.append(" ".join(exc.value.messages).replace(email, "EMAIL"))
    assert outcomes[0] == outcomes[1]


def test_inviting_a_reseller_already_in_an_active_relationship_is_refused():
    relationship = ProviderRelationshipFactory()
    reseller = relationship.reseller
    with pytest.raises(ValidationError) as exc:
        reseller_invitation_create(
            **acting(member(relationship.provider)), email=f"boss@{reseller.primary_domain}"
        )
    assert f"{reseller.legal_name} is already one of your indirect resellers." in exc.value.messages
    assert not ResellerInvitation.objects.exists()


def test_a_second_invitation_to_a_pending_email_is_refused():
    provider = provider_org()
    admin = member(provider)
    reseller_invitation_create(**acting(admin), email="a@new-reseller.example")
    with pytest.raises(ValidationError) as exc:
        reseller_invitation_create(**acting(admin), email="A@new-reseller.example")
    assert "already pending" in " ".join(exc.value.messages)
    assert ResellerInvitation.objects.count() == 1


def test_an_expired_pending_invitation_does_not_block_a_new_one():
    old = ResellerInvitationFactory(expires_at=timezone.now() - timedelta(minutes=1))
    reseller_invitation_create(**acting(member(old.organization)), email=old.email)
    assert ResellerInvitation.objects.filter(email=old.email).count() == 2


def test_only_provider_agents_may_invite():
    provider = provider_org()
    with pytest.raises(PermissionDenied):
        reseller_invitation_create(
            **acting(member(provider, helpdesk_agent=True)), email="x@new.example"
        )
    assert not ResellerInvitation.objects.exists()


def test_resend_refreshes_expiry_and_sends_a_new_email():
    invitation = ResellerInvitationFactory(expires_at=timezone.now() - timedelta(days=1))
    resent = reseller_invitation_resend(
        **acting(member(invitation.organization)), invitation_id=invitation.pk
    )
    assert resent.expires_at > timezone.now() + timedelta(days=13)
    assert OutboxMessage.objects.filter(to_email=invitation.email).count() == 1


def test_revoked_invitation_cannot_be_accepted():
    invitation = ResellerInvitationFactory()
    reseller_invitation_revoke(
        **acting(member(invitation.organization)), invitation_id=invitation.pk
    )
    reseller = reseller_org()
    with pytest.raises(InvitationUnavailable) as exc:
        _accept(invitation, member(reseller))
    assert exc.value.reason == "revoked"
    assert not ProviderRelationship.objects.exists()


def test_another_provider_cannot_resend_or_revoke():
    invitation = ResellerInvitationFactory()
    outsider = member(provider_org())
    with pytest.raises(ResellerInvitation.DoesNotExist):
        reseller_invitation_revoke(**acting(outsider), invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


# Accepting -----------------------------------------------------------------------------------


def test_global_admin_of_verified_reseller_in_region_authorizes_provider():
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    admin = member(reseller)
    relationship = _accept(invitation, admin)
    assert relationship.provider == invitation.organization
    assert relationship.reseller == reseller
    assert relationship.admin_access is True
    assert relationship.status == ProviderRelationship.Status.ACTIVE
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.reseller == reseller
    assert RelationshipEvent.objects.get().type == RelationshipEvent.Type.AUTHORIZED
    assert Notification.objects.filter(organization=invitation.organization).exists()
    assert Notification.objects.filter(organization=reseller).exists()
    recipients = set(OutboxMessage.objects.values_list("to_email", flat=True))
    assert invitation.invited_by.email in recipients
    assert admin.user.email in recipients


def test_admin_agent_may_authorize():
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    _accept(invitation, member(reseller, admin_agent=True))
    assert ProviderRelationship.objects.filter(reseller=reseller).exists()


def test_an_address_at_a_subdomain_of_the_resellers_domain_may_authorize():
    reseller = reseller_org(primary_domain="northwind.example")
    invitation = ResellerInvitationFactory(email="x@it.northwind.example")
    relationship = _accept(invitation, member(reseller))
    assert relationship.reseller == reseller
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED


def test_global_admin_of_another_reseller_in_the_region_cannot_use_the_link():
    invitation = ResellerInvitationFactory(invitee=reseller_org(primary_domain="northwind.example"))
    other = reseller_org(primary_domain="fabrikam.example")
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(other))
    assert exc.value.messages[0] == (
        f"This invitation was sent to {invitation.email}, at another company than "
        f"{other.legal_name}. Sign in with an account of that company to accept it."
    )
    _assert_nothing_changed(invitation)


def test_a_lookalike_domain_is_not_a_subdomain():
    invitation = ResellerInvitationFactory(email="x@evilnorthwind.example")
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller_org(primary_domain="northwind.example")))
    assert "at another company than" in exc.value.messages[0]
    _assert_nothing_changed(invitation)


@pytest.mark.parametrize("role", ["sales_agent", "helpdesk_agent", "billing_admin"])
def test_other_roles_cannot_authorize(role):
    invitation = ResellerInvitationFactory()
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller_org(), **{role: True}))
    assert "Only a Global admin or an Admin agent" in exc.value.messages[0]
    _assert_nothing_changed(invitation)


def test_a_provider_member_cannot_authorize():
    invitation = ResellerInvitationFactory()
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(provider_org()))
    assert "Only a Global admin or an Admin agent" in exc.value.messages[0]
    _assert_nothing_changed(invitation)


@pytest.mark.parametrize(
    "status",
    [Organization.Status.SUBMITTED, Organization.Status.DRAFT, Organization.Status.REJECTED],
)
def test_unverified_reseller_cannot_authorize(status):
    reseller = reseller_org(status=status)
    invitation = ResellerInvitationFactory(invitee=reseller)
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller))
    assert f"{reseller.legal_name} is not verified yet." in exc.value.messages[0]
    _assert_nothing_changed(invitation)


def test_reseller_without_agreement_cannot_authorize():
    reseller = reseller_org(agreement=False)
    invitation = ResellerInvitationFactory(invitee=reseller)
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller))
    assert "has not accepted the current Partner Agreement" in exc.value.messages[0]
    _assert_nothing_changed(invitation)


def test_acceptance_of_an_older_agreement_version_is_not_enough():
    from enrollment.models import AgreementVersion

    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    AgreementVersion.objects.create(
        version="2027-01", title="New", body="New terms.", published_at=timezone.now()
    )
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller))
    assert "has not accepted the current Partner Agreement" in exc.value.messages[0]
    _assert_nothing_changed(invitation)


def test_reseller_in_another_region_cannot_authorize():
    reseller = reseller_org(country="US")
    invitation = ResellerInvitationFactory(invitee=reseller)  # provider authorized in Europe only
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller))
    assert (
        f"{reseller.legal_name} is in the CSP region United States, where "
        f"{invitation.organization.legal_name} is not authorized."
    ) in exc.value.messages[0]
    _assert_nothing_changed(invitation)


def test_expired_link_cannot_be_accepted():
    invitation = ResellerInvitationFactory(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvitationUnavailable) as exc:
        _accept(invitation, member(reseller_org()))
    assert exc.value.reason == "expired"
    _assert_nothing_changed(invitation)


def test_double_accept_creates_one_relationship_and_says_already_accepted():
    admin = member(reseller_org())
    invitation = ResellerInvitationFactory(invitee=admin.organization)
    _accept(invitation, admin)
    with pytest.raises(InvitationUnavailable) as exc:
        _accept(invitation, admin)
    assert exc.value.reason == "accepted"
    assert ProviderRelationship.objects.count() == 1


def test_second_invitation_from_same_provider_is_refused_while_relationship_is_active():
    admin = member(reseller_org())
    first = ResellerInvitationFactory(invitee=admin.organization)
    second = ResellerInvitationFactory(organization=first.organization, invitee=admin.organization)
    _accept(first, admin)
    with pytest.raises(ValidationError) as exc:
        _accept(second, admin)
    assert "already works with" in exc.value.messages[0]
    second.refresh_from_db()
    assert second.status == InvitationStatus.PENDING
    assert ProviderRelationship.objects.count() == 1


def test_decline_marks_invitation_declined_and_creates_nothing():
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    reseller_invitation_decline(**acting(member(reseller)), invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not ProviderRelationship.objects.exists()
    with pytest.raises(InvitationUnavailable) as exc:
        _accept(invitation, member(reseller_org()))
    assert exc.value.reason == "declined"


def test_another_company_holding_the_link_cannot_decline_it():
    invitation = ResellerInvitationFactory(invitee=reseller_org())
    with pytest.raises(ValidationError, match="Only that company can answer it"):
        reseller_invitation_decline(**acting(member(reseller_org())), invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_invitation_email_uses_the_invitees_saved_language():
    from tests.factories import UserFactory

    reseller = reseller_org(primary_domain="lingua.example")
    invitee = member(reseller, user=UserFactory(email="capo@lingua.example", language="it"))
    reseller_invitation_create(**acting(member(provider_org())), email=invitee.user.email)
    assert OutboxMessage.objects.get(to_email="capo@lingua.example").language == "it"


def test_reseller_without_legal_country_cannot_authorize():
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    reseller.country = None
    reseller.save()
    with pytest.raises(ValidationError) as exc:
        _accept(invitation, member(reseller))
    assert "has no legal country yet, so it has no CSP region" in exc.value.messages[0]
    _assert_nothing_changed(invitation)
