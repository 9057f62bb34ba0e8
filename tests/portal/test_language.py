import pytest

pytestmark = pytest.mark.django_db


def test_language_switch_turns_the_page_italian_and_follows_the_user(client_for, reseller_admin):
    client = client_for(reseller_admin)
    assert "Notifications" in client.get("/dashboard/").text
    response = client.post("/language/", {"language": "it", "next": "/dashboard/"})
    assert response.status_code == 302
    assert "Notifiche" in client.get("/dashboard/").text
    reseller_admin.user.refresh_from_db()
    assert reseller_admin.user.language == "it"
    # A new browser (no cookie) still gets Italian: the choice is saved on the user.
    assert "Notifiche" in client_for(reseller_admin).get("/dashboard/").text


def test_language_switch_ignores_an_offsite_next(client_for, reseller_admin):
    response = client_for(reseller_admin).post(
        "/language/", {"language": "it", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_language_chosen_before_signing_in_becomes_the_users_language(client, reseller_admin):
    from tests.factories import PASSWORD

    client.post("/language/", {"language": "it", "next": "/accounts/login/"})
    assert "Accedi" in client.get("/accounts/login/").text
    client.post("/accounts/login/", {"login": reseller_admin.user.email, "password": PASSWORD})
    assert "Notifiche" in client.get("/dashboard/").text
    reseller_admin.user.refresh_from_db()
    assert reseller_admin.user.language == "it"


def test_signing_in_without_choosing_keeps_the_saved_language(client, reseller_admin):
    from tests.factories import PASSWORD

    reseller_admin.user.language = "it"
    reseller_admin.user.save()
    client.post("/accounts/login/", {"login": reseller_admin.user.email, "password": PASSWORD})
    assert "Notifiche" in client.get("/dashboard/").text
