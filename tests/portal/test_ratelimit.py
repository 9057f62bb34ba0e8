"""Invitations and resends are limited per organization / per invitation through one limiter, and
every limit (ours and allauth's) answers with the portal's 429 page and a way back."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from portal.models import Membership, OutboxMessage
from portal.ratelimit import RateLimited, parse_rate, rate_limit_consume
from relationships.models import CustomerInvitation, ResellerInvitation
from tests.factories import member
from tests.relationships.factories import (
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    provider_org,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.PORTAL_RATE_LIMITS = {
        "reseller_invitation": "3/h",
        "customer_invitation": "3/h",
        "user_invitation": "3/h",
        "invitation_resend": "3/h",
    }
    return settings.PORTAL_RATE_LIMITS


def assert_portal_429(response, *, back: str = "/"):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    text = response.text
    assert "<h1" in text and "Please wait a moment" in text
    assert "Nothing was sent and nothing was changed." in text
    assert "You can try again in about" in text
    assert f'href="{back}"' in text and "Go back" in text
    assert 'class="topbar' in text  # the portal's shell, not a bare page


@pytest.mark.parametrize(
    ("text", "amount", "seconds"),
    [("20/h", 20, 3600), ("3/30m", 3, 1800), ("100/d", 100, 86400), ("5/10s", 5, 10)],
)
def test_rates_are_written_amount_per_period(text, amount, seconds):
    rate = parse_rate(text)
    assert (rate.amount, rate.seconds) == (amount, seconds)


@pytest.mark.parametrize("text", ["20", "x/h", "20/w", "20/xh"])
def test_a_malformed_rate_is_refused_loudly(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_the_limit_counts_per_key_and_frees_up_in_the_next_window(limits):
    with time_machine.travel(timezone.now().replace(minute=0, second=1), tick=False) as clock:
        for _ in range(3):
            rate_limit_consume(action="reseller_invitation", key="a")
        with pytest.raises(RateLimited) as exc:
            rate_limit_consume(action="reseller_invitation", key="a")
        assert 3500 < exc.value.retry_after <= 3600
        rate_limit_consume(action="reseller_invitation", key="b")  # another organization
        clock.shift(timedelta(hours=1))
        rate_limit_consume(action="reseller_invitation", key="a")


def test_provider_invitations_are_limited_per_organization_with_the_429_page(client_for, limits):
    provider = provider_org()
    client = client_for(member(provider))
    for n in range(3):
        response = client.post("/indirect-resellers/invite/", {"email": f"a{n}@r{n}.example"})
        assert response.status_code == 302
    response = client.post(
        "/indirect-resellers/invite/",
        {"email": "victim@stranger.example"},
        HTTP_REFERER="http://testserver/indirect-resellers/",
    )
    assert_portal_429(response, back="http://testserver/indirect-resellers/")
    assert "partnership invitations" in response.text
    assert not ResellerInvitation.objects.filter(email="victim@stranger.example").exists()
    assert not OutboxMessage.objects.filter(to_email="victim@stranger.example").exists()
    # another provider is not affected
    other = client_for(member(provider_org()))
    assert other.post("/indirect-resellers/invite/", {"email": "x@y.example"}).status_code == 302


def test_resends_are_limited_per_invitation(client_for, limits):
    invitation = ResellerInvitationFactory()
    second = ResellerInvitationFactory(organization=invitation.organization)
    client = client_for(member(invitation.organization))
    url = f"/indirect-resellers/invitations/{invitation.pk}/resend/"
    for _ in range(3):
        assert client.post(url).status_code == 302
    sent = OutboxMessage.objects.filter(to_email=invitation.email).count()
    response = client.post(url)
    assert_portal_429(response)
    assert "sent again as many times" in response.text
    assert OutboxMessage.objects.filter(to_email=invitation.email).count() == sent
    resend_second = f"/indirect-resellers/invitations/{second.pk}/resend/"
    assert client.post(resend_second).status_code == 302


def test_customer_invitations_are_limited_per_organization(client_for, limits):
    relationship = ProviderRelationshipFactory()
    client = client_for(member(relationship.reseller))
    url = "/indirect-providers/invite-customer/"
    for n in range(3):
        data = {
            "provider": relationship.provider_id,
            "email": f"o@c{n}.example",
            "company_name": "C",
        }
        assert client.post(url, data).status_code == 302
    data = {"provider": relationship.provider_id, "email": "o@c9.example", "company_name": "C"}
    response = client.post(url, data)
    assert_portal_429(response)
    assert not CustomerInvitation.objects.filter(email="o@c9.example").exists()


def test_user_invitations_are_limited_per_organization(client_for, limits, reseller_admin):
    client = client_for(reseller_admin)
    domain = reseller_admin.organization.primary_domain

    def add(n: int):
        return client.post(
            "/settings/users/add/",
            {
                "email": f"new{n}@{domain}",
                "first_name": "N",
                "last_name": "P",
                "roles": ["sales_agent"],
            },
        )

    for n in range(3):
        assert add(n).status_code == 302
    response = add(9)
    assert_portal_429(response)
    assert "added as many users" in response.text
    assert not Membership.objects.filter(user__email=f"new9@{domain}").exists()


def test_allauths_own_limits_answer_with_the_portal_429_page(client, settings, reseller_admin):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "2/m/ip"}
    for _ in range(2):
        response = client.post("/accounts/password/reset/", {"email": reseller_admin.user.email})
        assert response.status_code == 302
    response = client.post("/accounts/password/reset/", {"email": reseller_admin.user.email})
    assert response.status_code == 429
    assert "Please wait a moment" in response.text
    assert "You can try again in a few minutes." in response.text
    assert 'class="topbar' in response.text


def test_one_mailbox_gets_at_most_ten_password_reset_emails_an_hour(client, reseller_admin):
    email = reseller_admin.user.email
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(10):
            response = client.post(
                "/accounts/password/reset/", {"email": email}, REMOTE_ADDR=f"198.51.100.{n}"
            )
            assert response.status_code == 302, n
            clock.shift(timedelta(seconds=15))
        response = client.post(
            "/accounts/password/reset/", {"email": email}, REMOTE_ADDR="198.51.100.99"
        )
        assert response.status_code == 429
        assert "Please wait a moment" in response.text
        clock.shift(timedelta(hours=1))
        response = client.post(
            "/accounts/password/reset/", {"email": email}, REMOTE_ADDR="198.51.100.99"
        )
        assert response.status_code == 302
