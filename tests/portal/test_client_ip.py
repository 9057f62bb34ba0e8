"""The client IP comes from a configured number of trusted proxies, for our records and for
allauth's rate limits alike."""

import pytest
from django.test import RequestFactory

from enrollment.models import AgreementAcceptance
from portal.client_ip import client_ip
from tests.enrollment.test_agreement import URL, accept_data
from tests.factories import PASSWORD, member


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_trusted_proxies_a_forwarded_header_is_ignored(settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("10.0.0.5", "198.51.100.1")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry is ignored
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (1, "198.51.100.1:4711", "198.51.100.1"),
    ],
)
def test_the_nth_forwarded_entry_from_the_right_is_the_client(settings, count, forwarded, expected):
    settings.PORTAL_TRUSTED_PROXY_COUNT = count
    assert client_ip(request_from("10.0.0.5", forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "198.51.100.1", "not-an-ip, 10.0.0.9"])
def test_a_header_that_cannot_come_from_our_proxies_falls_back_to_remote_addr(settings, forwarded):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.5", forwarded)) == "10.0.0.5"


def test_settings_keep_allauth_on_the_same_proxy_count():
    from django.conf import settings

    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.PORTAL_TRUSTED_PROXY_COUNT


@pytest.mark.django_db
def test_allauth_rate_limits_count_each_forwarded_client_separately(client, settings):
    """Behind one proxy every request has the proxy's REMOTE_ADDR: the per-IP limit
    (10 failed sign-ins a minute) must hit the client that failed, not everyone."""
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    people = [member() for _ in range(3)]
    attacker = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    for attempt in range(11):
        email = people[attempt % 3].user.email
        response = client.post("/accounts/login/", {"login": email, "password": "x"}, **attacker)
    assert "too many failed login attempts" in response.text.lower()
    honest = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    response = client.post(
        "/accounts/login/", {"login": member().user.email, "password": PASSWORD}, **honest
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_agreement_acceptance_records_the_forwarded_client_ip(client_for, settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    admin = member()
    client_for(admin).post(
        URL,
        accept_data(admin),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    acceptance = AgreementAcceptance.objects.get(organization=admin.organization)
    assert acceptance.ip_address == "203.0.113.7"
