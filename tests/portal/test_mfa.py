"""One door for sign-in: the operator admin signs in through allauth (TOTP stage, rate limits),
and staff, verification admins and Global admins must set up a second factor first."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD, UserFactory, member
from tests.verification.factories import reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


def current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def sign_in(client: Client, email: str, password: str = PASSWORD, next_url: str = ""):
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})


# The operator admin's door


def test_admin_login_page_hands_over_to_the_portal_sign_in(client):
    response = client.get("/operator-admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Foperator-admin%2F"


def test_admin_login_form_post_does_not_sign_in_with_the_password_alone(client, staff_user):
    response = client.post(
        "/operator-admin/login/?next=/operator-admin/",
        {"username": staff_user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/operator-admin/").status_code == 302


def test_admin_sign_in_asks_for_the_totp_code_of_a_user_who_has_one(client, staff_user):
    secret = generate_totp_secret()
    TOTP.activate(staff_user, secret)

    response = sign_in(client, staff_user.email, next_url="/operator-admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/operator-admin/").status_code == 302  # not signed in yet
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200 and "Incorrect code" in response.text
    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/operator-admin/"
    assert client.get("/operator-admin/").status_code == 200


def test_admin_sign_in_refuses_the_sixth_attempt_after_five_wrong_passwords(client, staff_user):
    for _ in range(5):
        response = sign_in(client, staff_user.email, "wrong", next_url="/operator-admin/")
        assert "too many" not in response.text.lower()
    response = sign_in(client, staff_user.email, next_url="/operator-admin/")
    assert "too many failed login attempts" in response.text.lower()
    assert client.get("/operator-admin/").status_code == 302


def test_admin_login_form_posts_never_check_a_password(client, staff_user):
    for _ in range(25):
        client.post("/operator-admin/login/", {"username": staff_user.email, "password": "wrong"})
    response = sign_in(client, staff_user.email, next_url="/operator-admin/")
    assert response.status_code == 302  # the admin form never counted as a password check
    assert client.get("/operator-admin/").status_code == 200


def test_signed_in_user_without_staff_rights_gets_403_not_a_login_loop(client, reseller_admin):
    sign_in(client, reseller_admin.user.email)
    assert client.get("/operator-admin/login/").status_code == 403


def test_admin_logout_goes_through_the_portal_sign_out(client, staff_user):
    client.force_login(staff_user)
    response = client.post("/operator-admin/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/logout/"


# MFA required for privileged roles


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(lambda: member().user, id="global-admin"),
        pytest.param(lambda: reviewer().user, id="verification-admin"),
        pytest.param(lambda: UserFactory(is_staff=True), id="staff"),
    ],
)
def test_privileged_user_without_totp_is_sent_to_set_it_up_before_anything_else(
    client, settings, make_user
):
    settings.PORTAL_REQUIRE_MFA = True
    user = make_user()
    sign_in(client, user.email)
    for path in ("/dashboard/", "/settings/users/", "/review/", "/operator-admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/", path


def test_set_up_page_explains_why_and_activation_shows_recovery_codes_then_lets_them_in(
    client, settings, reseller_admin
):
    settings.PORTAL_REQUIRE_MFA = True
    sign_in(client, reseller_admin.user.email)

    response = client.get("/dashboard/", follow=True)
    # allauth asks for the password again before any change to the second factor
    assert response.request["PATH_INFO"] == "/accounts/reauthenticate/"
    assert "Your role requires two-step sign-in" in response.text
    response = client.post(
        "/accounts/reauthenticate/?next=/accounts/2fa/totp/activate/",
        {"password": PASSWORD},
        follow=True,
    )
    page = response
    assert page.request["PATH_INFO"] == "/accounts/2fa/totp/activate/"
    assert "Install an authenticator app" in page.text
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.text)
    secret_value = secret.group(1) if secret else client.session["mfa.totp.secret"]
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret_value)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200
    assert len(re.findall(r"\b[0-9a-f]{8}\b", codes.text)) >= 10
    assert "Continue to the portal" in codes.text
    assert 'href="/dashboard/"' in codes.text  # where they were going
    assert client.get("/dashboard/").status_code == 200


def test_set_up_offers_the_page_they_were_going_to_afterwards(client, settings, reseller_admin):
    settings.PORTAL_REQUIRE_MFA = True
    sign_in(client, reseller_admin.user.email)
    client.get("/invitations/some-key/?x=1")
    TOTP.activate(reseller_admin.user, generate_totp_secret())
    RecoveryCodes.activate(reseller_admin.user)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert 'href="/invitations/some-key/?x=1"' in codes.text


def test_roles_without_privilege_are_not_asked_to_set_up_totp(client, settings):
    settings.PORTAL_REQUIRE_MFA = True
    sales = member(sales_agent=True)
    sign_in(client, sales.user.email)
    assert client.get("/dashboard/").status_code == 200


def test_user_with_totp_is_not_sent_to_set_up(client, settings, reseller_admin):
    settings.PORTAL_REQUIRE_MFA = True
    TOTP.activate(reseller_admin.user, generate_totp_secret())
    client.force_login(reseller_admin.user)
    assert client.get("/dashboard/").status_code == 200


def test_the_second_factor_is_looked_up_once_per_session_not_on_every_page(
    client, settings, reseller_admin
):
    settings.PORTAL_REQUIRE_MFA = True
    TOTP.activate(reseller_admin.user, generate_totp_secret())
    client.force_login(reseller_admin.user)

    def authenticator_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/").status_code == 200
        return sum("mfa_authenticator" in q["sql"] for q in captured.captured_queries)

    assert authenticator_queries() == 1
    assert authenticator_queries() == 0


def test_recovery_codes_alone_do_not_count_as_a_second_factor(client, settings, reseller_admin):
    settings.PORTAL_REQUIRE_MFA = True
    Authenticator.objects.create(
        user=reseller_admin.user, type=Authenticator.Type.RECOVERY_CODES, data={}
    )
    client.force_login(reseller_admin.user)
    assert client.get("/dashboard/").status_code == 302


def test_demo_and_unit_test_settings_leave_mfa_off(client, settings, reseller_admin):
    settings.PORTAL_REQUIRE_MFA = False
    response = sign_in(client, reseller_admin.user.email)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_local_settings_turn_mfa_off_and_production_turns_it_on():
    from portal.settings import base, local

    assert local.PORTAL_REQUIRE_MFA is False
    assert base.PORTAL_REQUIRE_MFA is True


def _deactivate(client, user):
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return client.post("/accounts/2fa/totp/deactivate/")


def test_a_user_who_must_use_totp_cannot_switch_it_off(client, settings, reseller_admin):
    settings.PORTAL_REQUIRE_MFA = True
    TOTP.activate(reseller_admin.user, generate_totp_secret())
    client.force_login(reseller_admin.user)
    response = _deactivate(client, reseller_admin.user)
    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication." in response.text
    assert Authenticator.objects.filter(
        user=reseller_admin.user, type=Authenticator.Type.TOTP
    ).exists()


def test_a_user_without_a_privileged_role_may_switch_totp_off(client, settings):
    settings.PORTAL_REQUIRE_MFA = True
    sales = member(sales_agent=True)
    TOTP.activate(sales.user, generate_totp_secret())
    client.force_login(sales.user)
    response = _deactivate(client, sales.user)
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=sales.user, type=Authenticator.Type.TOTP).exists()
