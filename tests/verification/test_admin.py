import pytest
from django.test import Client

from portal.models import User

pytestmark = pytest.mark.django_db


def test_operator_admin_lists_cases_read_only(open_case):
    staff = User.objects.create_superuser("root@operator.example", "x")
    client = Client()
    client.force_login(staff)
    assert client.get("/operator-admin/verification/verificationcase/").status_code == 200
    page = client.get(f"/operator-admin/verification/verificationcase/{open_case.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content
