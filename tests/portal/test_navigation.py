"""The left navigation is what the apps registered, filtered by kind, role and status."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_lazy as _

from portal import navigation
from portal.models import Organization
from portal.navigation import SETTINGS, NavEntry, register_nav
from tests.factories import OrganizationFactory, member

Kind = Organization.Kind


def _labels(membership, section="main"):
    return [str(i["label"]) for i in navigation.navigation(membership, "/")[section]]


@pytest.mark.django_db
def test_every_app_adds_its_entries_in_order():
    reseller = member(OrganizationFactory(kind=Kind.RESELLER))
    assert _labels(reseller) == [
        "Dashboard",
        "Customers",
        "Subscriptions",
        "Find a provider",
        "Indirect providers",
        "Verification",
        "Billing",
        "Invoices",
        "Reconciliation",
    ]
    assert _labels(reseller, SETTINGS) == [
        "Legal info",
        "Identifiers",
        "User management",
        "Partner profile",
        "API clients",
        "Webhooks",
        "Audit log",
    ]
    provider = member(OrganizationFactory(kind=Kind.PROVIDER))
    assert "Indirect resellers" in _labels(provider)
    assert "Indirect providers" not in _labels(provider)


@pytest.mark.django_db
def test_a_draft_organization_sees_only_the_dashboard():
    draft = member(OrganizationFactory(kind=Kind.RESELLER, status=Organization.Status.DRAFT))
    assert _labels(draft) == ["Dashboard"]
    assert _labels(draft, SETTINGS) == []


@pytest.mark.django_db
def test_the_page_under_an_entry_is_marked_current():
    reseller = member(OrganizationFactory(kind=Kind.RESELLER))
    items = navigation.navigation(reseller, "/settings/users/add/")[SETTINGS]
    assert [i["label"] for i in items if i["active"]] == ["User management"]


@pytest.mark.django_db
def test_a_predicate_decides_and_registering_twice_adds_nothing(monkeypatch):
    monkeypatch.setattr(navigation, "_ENTRIES", list(navigation.nav_entries()))
    entry = NavEntry(
        _("Statements"), "portal:outbox", predicate=lambda m: m.billing_admin, order=15
    )
    register_nav(entry)
    register_nav(entry)
    billing = member(OrganizationFactory(kind=Kind.RESELLER), billing_admin=True)
    sales = member(OrganizationFactory(kind=Kind.RESELLER), sales_agent=True)
    assert _labels(billing).count("Statements") == 1
    assert _labels(billing).index("Statements") == 1
    assert "Statements" not in _labels(sales)
