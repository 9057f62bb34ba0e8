"""The operator's admin keeps an organization's last Global admin (issue 20): nobody outside the
organization demotes or removes it."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone

from portal.admin import MembershipInline
from portal.models import Membership, Organization, Role, User
from tests.factories import member

pytestmark = pytest.mark.django_db

ROLES = [role.value for role in Role]


def _formset(organization: Organization, rows: list[dict]):
    inline = MembershipInline(Organization, site)
    request = RequestFactory().post("/")
    request.user = User(email="operator@portal.example", is_staff=True, is_superuser=True)
    formset_class = inline.get_formset(request, organization)
    prefix = formset_class.get_default_prefix()
    members = list(Membership.objects.filter(organization=organization).order_by("pk"))
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(members)),
        f"{prefix}-INITIAL_FORMS": str(len(members)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, (membership, row) in enumerate(zip(members, rows, strict=True)):
        data[f"{prefix}-{i}-id"] = str(membership.pk)
        data[f"{prefix}-{i}-organization"] = str(organization.pk)
        data[f"{prefix}-{i}-user"] = str(membership.user_id)
        created = timezone.localtime(membership.created_at)
        data[f"{prefix}-{i}-created_at_0"] = created.date().isoformat()
        data[f"{prefix}-{i}-created_at_1"] = created.strftime("%H:%M:%S")
        for role in ROLES:
            if row.get(role, getattr(membership, role)):
                data[f"{prefix}-{i}-{role}"] = "on"
        if row.get("DELETE"):
            data[f"{prefix}-{i}-DELETE"] = "on"
    return formset_class(data, instance=organization, prefix=prefix)


def test_the_last_global_admin_is_neither_demoted_nor_removed_in_the_admin():
    admin = member()
    plain = member(admin.organization, sales_agent=True)
    demoted = _formset(admin.organization, [{"global_admin": False, "sales_agent": True}, {}])
    assert not demoted.is_valid()
    assert "last one" in " ".join(demoted.non_form_errors())
    removed = _formset(admin.organization, [{"DELETE": True}, {}])
    assert not removed.is_valid()
    # Another Global admin first, then the first one may go.
    handed_over = _formset(admin.organization, [{"DELETE": True}, {"global_admin": True}])
    assert handed_over.is_valid(), handed_over.errors
    handed_over.save()
    assert list(Membership.objects.filter(organization=admin.organization, global_admin=True)) == [
        plain
    ]
