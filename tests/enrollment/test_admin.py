import pytest
from django.contrib.auth.hashers import check_password, make_password

from enrollment.admin import LegacyMembershipAccountForm
from enrollment.models import LegacyMembershipAccount
from portal.models import User

pytestmark = pytest.mark.django_db


def _form(**data):
    return LegacyMembershipAccountForm(
        data={
            "mpn_id": "4567890",
            "sign_in_name": "old@legacy.example",
            "location_name": "Torino",
            "country": "IT",
            **data,
        }
    )


def test_operator_imports_a_legacy_account_with_its_password_stored_as_a_hash():
    form = _form(password="Old-Secret-1")
    assert form.is_valid(), form.errors
    account = form.save()
    assert account.password_hash != "Old-Secret-1"
    assert check_password("Old-Secret-1", account.password_hash)


def test_operator_imports_an_exported_password_hash():
    hashed = make_password("Old-Secret-2")
    account = _form(password_hash=hashed).save()
    assert check_password("Old-Secret-2", account.password_hash)


def test_import_without_password_or_with_a_bogus_hash_is_refused():
    assert not _form().is_valid()
    form = _form(password_hash="plaintext")
    assert not form.is_valid()
    assert "not a recognised password hash" in str(form.errors)
    assert not LegacyMembershipAccount.objects.exists()


def test_the_admin_change_list_opens_for_staff(client):
    staff = User.objects.create_superuser("op@csp-operator.example", "Op-Pass-1234")
    client.force_login(staff)
    assert client.get("/operator-admin/enrollment/legacymembershipaccount/add/").status_code == 200
