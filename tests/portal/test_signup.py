import pytest
from allauth.account.models import EmailAddress

from portal.models import OutboxMessage, User

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"


def _signup(client, email):
    return client.post(
        SIGNUP, {"email": email, "password1": "Sturdy-Pass-9174", "password2": "Sturdy-Pass-9174"}
    )


@pytest.mark.parametrize(
    "email",
    [
        "someone@gmail.com",
        "a.b@yahoo.co.uk",
        "x@hotmail.it",
        "y@outlook.com",
        "z@libero.it",
        "w@icloud.com",
    ],
)
def test_consumer_web_mail_is_refused_for_work_accounts(client, email):
    response = _signup(client, email)
    assert response.status_code == 200
    assert "Use your work email address" in response.text
    assert not User.objects.filter(email=email).exists()


def test_work_email_signup_requires_email_verification_through_the_outbox(client):
    response = _signup(client, "maria@fabrikam-new.example")
    assert response.status_code == 302
    user = User.objects.get(email="maria@fabrikam-new.example")
    assert not EmailAddress.objects.get(user=user).verified
    message = OutboxMessage.objects.get(to_email="maria@fabrikam-new.example")
    assert "/accounts/confirm-email/" in message.body_text
    # Not signed in until the address is confirmed.
    assert client.get("/dashboard/").status_code == 302


def test_demo_style_sign_in_with_password(client, reseller_admin):
    from tests.factories import PASSWORD

    response = client.post(
        "/accounts/login/", {"login": reseller_admin.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_password_reset_mail_goes_through_the_outbox(client, reseller_admin):
    client.post("/accounts/password/reset/", {"email": reseller_admin.user.email})
    message = OutboxMessage.objects.get(to_email=reseller_admin.user.email)
    assert "/accounts/password/reset/key/" in message.body_text


def test_signup_in_italian_saves_italian_and_sends_the_confirmation_in_italian(client):
    client.post("/language/", {"language": "it", "next": SIGNUP})
    _signup(client, "marco@wide-world.example")
    assert User.objects.get(email="marco@wide-world.example").language == "it"
    message = OutboxMessage.objects.get(to_email="marco@wide-world.example")
    assert message.language == "it"
    assert "Conferma" in message.subject or "conferma" in message.body_text
