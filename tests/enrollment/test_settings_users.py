import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import AuditEvent, Membership, OutboxMessage, User
from tests.factories import member
from tests.queries import warm

pytestmark = pytest.mark.django_db

USERS = "/settings/users/"
# The confirm page's button: without it, removing only asks (portal/confirm.py).
CONFIRM = {"confirmed": "yes"}


def test_user_management_lists_users_with_their_roles(client_for, reseller_admin):
    agent = member(reseller_admin.organization, admin_agent=True, sales_agent=True)
    page = client_for(reseller_admin).get(USERS).text
    assert agent.user.email in page
    assert "Admin agent, Sales agent" in page
    assert f'href="/settings/users/{agent.pk}/"' in page


def test_user_management_hides_other_tenants_users(client_for, reseller_admin, other_tenant_admin):
    page = client_for(reseller_admin).get(USERS).text
    assert other_tenant_admin.user.email not in page


def test_user_management_runs_the_same_queries_for_1_and_3_users(client_for, reseller_admin):
    client = client_for(reseller_admin)
    warm(client)
    with CaptureQueriesContext(connection) as one:
        client.get(USERS)
    added = [member(reseller_admin.organization, sales_agent=True) for _ in range(2)]
    with CaptureQueriesContext(connection) as three:
        page = client.get(USERS).text
    assert all(f'href="/settings/users/{m.pk}/"' in page for m in added)
    assert len(one) == len(three) <= 8


def test_only_global_admins_manage_users(client_for, reseller_admin):
    agent = member(reseller_admin.organization, admin_agent=True)
    client = client_for(agent)
    assert client.get(USERS).status_code == 403
    assert (
        client.post(f"{USERS}{reseller_admin.pk}/", {"roles": ["sales_agent"]}).status_code == 403
    )
    assert client.post(f"{USERS}{reseller_admin.pk}/remove/", CONFIRM).status_code == 403
    assert (
        client.post(
            f"{USERS}add/", {"email": f"x@{reseller_admin.organization.primary_domain}"}
        ).status_code
        == 403
    )
    reseller_admin.refresh_from_db()
    assert reseller_admin.global_admin and not reseller_admin.sales_agent


def test_global_admin_adds_themselves_to_admin_agent_and_the_setup_task_goes_away(
    client_for, reseller_admin
):
    client = client_for(reseller_admin)
    assert "Add yourself to Admin agent" in client.get("/dashboard/").text
    response = client.post(
        f"{USERS}{reseller_admin.pk}/", {"roles": ["global_admin", "admin_agent"]}
    )
    assert response.status_code == 302
    reseller_admin.refresh_from_db()
    assert reseller_admin.admin_agent
    assert "Add yourself to Admin agent" not in client.get("/dashboard/").text
    assert AuditEvent.objects.filter(type="membership.roles_changed").exists()


def test_last_global_admin_cannot_be_demoted(client_for, reseller_admin, other_tenant_admin):
    response = client_for(reseller_admin).post(
        f"{USERS}{reseller_admin.pk}/", {"roles": ["admin_agent"]}
    )
    assert response.status_code == 200
    assert "is the last Global admin of your organization" in response.text
    reseller_admin.refresh_from_db()
    assert reseller_admin.global_admin and not reseller_admin.admin_agent
    other_tenant_admin.refresh_from_db()
    assert other_tenant_admin.global_admin


def test_last_global_admin_cannot_be_removed(client_for, reseller_admin):
    client = client_for(reseller_admin)
    response = client.post(f"{USERS}{reseller_admin.pk}/remove/", CONFIRM, follow=True)
    assert "is the last Global admin of your organization" in response.text
    assert Membership.objects.filter(pk=reseller_admin.pk).exists()


def test_a_global_admin_can_be_demoted_when_another_remains(client_for, reseller_admin):
    second = member(reseller_admin.organization)
    response = client_for(reseller_admin).post(f"{USERS}{second.pk}/", {"roles": ["sales_agent"]})
    assert response.status_code == 302
    second.refresh_from_db()
    assert not second.global_admin and second.sales_agent


def test_removing_a_user_keeps_other_tenants_untouched(
    client_for, reseller_admin, other_tenant_admin
):
    agent = member(reseller_admin.organization, sales_agent=True)
    response = client_for(reseller_admin).post(f"{USERS}{agent.pk}/remove/", CONFIRM)
    assert response["Location"] == USERS
    assert not Membership.objects.filter(pk=agent.pk).exists()
    assert Membership.objects.filter(pk=other_tenant_admin.pk).exists()


def test_another_tenants_user_is_a_404(client_for, reseller_admin, other_tenant_admin):
    client = client_for(reseller_admin)
    url = f"{USERS}{other_tenant_admin.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"roles": ["sales_agent"]}).status_code == 404
    assert client.post(f"{url}remove/", CONFIRM).status_code == 404
    other_tenant_admin.refresh_from_db()
    assert other_tenant_admin.global_admin and not other_tenant_admin.sales_agent


def test_a_role_is_required(client_for, reseller_admin):
    agent = member(reseller_admin.organization, sales_agent=True)
    response = client_for(reseller_admin).post(f"{USERS}{agent.pk}/", {})
    assert "Select at least one role." in response.text
    agent.refresh_from_db()
    assert agent.sales_agent


def test_adding_a_user_creates_the_account_and_sends_an_invitation(client_for, reseller_admin):
    domain = reseller_admin.organization.primary_domain
    response = client_for(reseller_admin).post(
        f"{USERS}add/",
        {
            "email": f"Marco.Neri@{domain}",
            "first_name": "Marco",
            "last_name": "Neri",
            "roles": ["admin_agent"],
        },
    )
    assert response["Location"] == USERS
    user = User.objects.get(email=f"marco.neri@{domain}")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert membership.organization == reseller_admin.organization
    assert membership.admin_agent and not membership.global_admin
    message = OutboxMessage.objects.get(to_email=user.email)
    assert "/accounts/welcome/" in message.body_text
    assert reseller_admin.organization.legal_name in message.subject


def test_the_invitation_link_lets_the_new_user_set_a_password_and_sign_in(
    client, client_for, reseller_admin
):
    import re

    domain = reseller_admin.organization.primary_domain
    client_for(reseller_admin).post(
        f"{USERS}add/",
        {"email": f"ada@{domain}", "first_name": "Ada", "last_name": "L", "roles": ["sales_agent"]},
    )
    body = OutboxMessage.objects.get(to_email=f"ada@{domain}").body_text
    path = re.search(r"(/accounts/welcome/\S+/)", body).group(1)
    response = client.get(path, follow=True)
    page = response.content.decode()
    assert "<title>Set your password" in page and "Change Password" not in page
    assert reseller_admin.organization.legal_name in page
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "Fresh-Start-7788", "password2": "Fresh-Start-7788"}, follow=True
    )
    assert User.objects.get(email=f"ada@{domain}").check_password("Fresh-Start-7788")
    page = response.content.decode()
    assert response.wsgi_request.user.email == f"ada@{domain}"
    assert "Your password is set and you are signed in." in page
    assert "Your password is now changed." not in page
    again = Client().get(path, follow=True).content.decode()
    assert "This link no longer works" in again


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("someone@elsewhere.example", "Use a work email address in your organization's domain"),
        ("someone@gmail.com", "Use a work email address in your organization's domain"),
    ],
)
def test_adding_a_user_outside_the_domain_is_refused(client_for, reseller_admin, email, message):
    response = client_for(reseller_admin).post(
        f"{USERS}add/",
        {"email": email, "first_name": "A", "last_name": "B", "roles": ["sales_agent"]},
    )
    assert response.status_code == 200
    assert message in response.text.replace("&#x27;", "'")
    assert not User.objects.filter(email=email).exists()
    assert not OutboxMessage.objects.exists()


def test_adding_an_existing_member_is_refused(client_for, reseller_admin):
    agent = member(reseller_admin.organization, sales_agent=True)
    response = client_for(reseller_admin).post(
        f"{USERS}add/",
        {"email": agent.user.email, "first_name": "A", "last_name": "B", "roles": ["sales_agent"]},
    )
    assert "already a user of your organization" in response.text
    assert Membership.objects.filter(user=agent.user).count() == 1


def test_remove_asks_for_confirmation_first_and_get_changes_nothing(client_for, reseller_admin):
    agent = member(reseller_admin.organization, sales_agent=True)
    page = client_for(reseller_admin).get(f"{USERS}{agent.pk}/remove/").text
    assert f"Remove {agent.user.get_full_name()}?" in page
    assert Membership.objects.filter(pk=agent.pk).exists()


def test_invited_users_show_as_invitation_sent_until_they_set_a_password(
    client_for, reseller_admin
):
    domain = reseller_admin.organization.primary_domain
    client = client_for(reseller_admin)
    client.post(
        f"{USERS}add/",
        {"email": f"eva@{domain}", "first_name": "Eva", "last_name": "R", "roles": ["sales_agent"]},
    )
    assert "Invitation sent" in client.get(USERS).text
