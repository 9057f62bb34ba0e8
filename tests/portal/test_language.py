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
