import pytest
from allauth.mfa.models import Authenticator

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_repeated_failed_sign_ins_are_rate_limited(client, reseller_admin):
    email = reseller_admin.user.email
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": email, "password": "wrong"})
        assert "too many" not in response.text.lower()
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert "too many failed login attempts" in response.text.lower()
    assert client.get("/dashboard/").status_code == 302


def test_signed_in_user_can_open_two_factor_setup(client, reseller_admin):
    client.post("/accounts/login/", {"login": reseller_admin.user.email, "password": PASSWORD})
    response = client.get("/accounts/2fa/")
    assert response.status_code == 200
    assert "Authenticator App" in response.text
    assert 'href="/accounts/2fa/totp/activate/"' in response.text


def test_user_with_totp_is_asked_for_the_code_after_the_password(client, reseller_admin):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(reseller_admin.user, generate_totp_secret())
    assert Authenticator.objects.filter(user=reseller_admin.user).exists()
    response = client.post(
        "/accounts/login/", {"login": reseller_admin.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/dashboard/").status_code == 302


def test_pages_send_a_content_security_policy_without_inline_scripts(client_for, reseller_admin):
    response = client_for(reseller_admin).get("/dashboard/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.text and "style=" not in response.text
