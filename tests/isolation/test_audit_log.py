"""The audit log and its CSV never show another tenant's events: every member of every
organization of family B reads /audit-log/ (filters naming family A's people included) and its
export, while family A's log is full of A's names."""

from __future__ import annotations

import pytest

from enrollment.events import AuditType as EnrollmentType
from portal.audit import audit_record, audit_record_for
from relationships.events import AuditType as RelationshipsType
from tests.isolation.test_isolation import Requester, _body, _requesters
from tests.tenants import Family, build_family

pytestmark = pytest.mark.django_db


def _fill_log(family: Family) -> list[str]:
    """Events in every organization of the family, naming it; returns what only they show."""
    markers = []
    for key, org in family.orgs().items():
        admin = next(iter(family.members[key].values()))
        marker = f"{family.tag}{key}-audit@example.com"
        audit_record(
            type=EnrollmentType.MEMBERSHIP_ADDED,
            organization=org,
            actor=admin.user,
            actor_organization=org,
            ip_address="192.0.2.55" if family.tag == "alpha" else "198.51.100.66",
            email=marker,
        )
        markers.append(marker)
    provider_admin = family.members["provider"]["global_admin"]
    audit_record_for(
        type=RelationshipsType.ORDER_PLACED,
        organizations=[family.provider, family.reseller, family.customer],
        actor=provider_admin.user,
        actor_organization=family.provider,
    )
    markers += [provider_admin.user.email, "192.0.2.55"]
    return markers


def test_no_member_reads_another_tenants_audit_log_or_export():
    alpha, bravo = build_family("alpha"), build_family("bravo")
    alpha_markers = _fill_log(alpha) + alpha.markers
    _fill_log(bravo)
    alpha_people = [m.user.pk for roles in alpha.members.values() for m in roles.values()]
    queries = [
        "",
        f"?person={alpha_people[0]}",
        f"?type={EnrollmentType.MEMBERSHIP_ADDED.value}",
        "?format=csv",
        f"?format=csv&person={alpha_people[0]}",
        f"?format=csv&type={RelationshipsType.ORDER_PLACED.value}",
    ]
    leaks, allowed = [], 0
    for requester in _requesters(bravo):
        for query in queries:
            response = requester.client.get(f"/audit-log/{query}")
            if response.status_code == 200:
                allowed += 1
                body = _body(response)
                shown = [m for m in alpha_markers if m in body]
                if shown:
                    leaks.append(f"{requester.label} /audit-log/{query} shows {shown}")
            elif response.status_code not in (302, 403, 404):
                leaks.append(f"{requester.label} /audit-log/{query}: {response.status_code}")
    assert not leaks, "\n".join(leaks)
    # Bravo's Global admins (provider, reseller, customer, applicant; the operator's members
    # are verification admins) read their own logs: the check above ran on real pages.
    assert allowed == 4 * len(queries)


def test_only_global_admins_read_the_log():
    family = build_family("charlie")
    _fill_log(family)
    for requester in _requesters(family):
        response = requester.client.get("/audit-log/")
        membership = requester.membership
        if membership is None:
            assert response.status_code == 302  # to sign in
        elif membership.global_admin:
            assert response.status_code == 200, requester.label
            assert "charlie" in response.text
        else:
            assert response.status_code == 403, requester.label


def test_a_global_admin_sees_its_own_organizations_events():
    family = build_family("delta")
    _fill_log(family)
    page = Requester("provider admin", family.members["provider"]["global_admin"])
    body = page.client.get("/audit-log/").text
    assert "deltaprovider-audit@example.com" in body
    assert "Order placed" in body
    assert "deltareseller-audit@example.com" not in body
