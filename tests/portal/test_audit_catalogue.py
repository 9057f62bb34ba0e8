"""The audit event catalogue: every type recorded anywhere is declared, with a translated label."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

from api.events import AuditType as ApiType
from commerce.events import AuditType as CommerceType
from delegation.events import AuditType as DelegationType
from enrollment.events import AuditType as EnrollmentType
from invoicing.events import AuditType as InvoicingType
from portal import audit
from portal.audit import audit_record, event_label, event_type_choices
from portal.events import AuditType as PortalType
from portal.models import AuditEvent
from relationships.events import AuditType as RelationshipsType
from verification.events import FOR_CASE_EVENT
from verification.events import AuditType as VerificationType
from verification.models import CaseEvent
from webhooks.events import AuditType as WebhooksType

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "portal",
    "enrollment",
    "relationships",
    "verification",
    "commerce",
    "delegation",
    "webhooks",
    "api",
    "invoicing",
)
CATALOGUES = (
    PortalType,
    EnrollmentType,
    RelationshipsType,
    VerificationType,
    CommerceType,
    DelegationType,
    WebhooksType,
    ApiType,
    InvoicingType,
)


def _audit_calls():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    for keyword in node.keywords:
                        if (
                            name in ("audit_record", "audit_record_for") and keyword.arg == "type"
                        ) or (keyword.arg == "audit_type"):
                            yield path.relative_to(ROOT), node.lineno, keyword.value


def test_no_audit_event_is_recorded_with_a_free_string():
    calls = list(_audit_calls())
    assert len(calls) > 20  # the scan finds the call sites
    free = [
        f"{path}:{line}"
        for path, line, value in calls
        if isinstance(value, ast.Constant | ast.JoinedStr | ast.BinOp)
    ]
    assert free == []


def test_every_declared_type_is_in_the_catalogue_with_a_translatable_label():
    for choices in CATALOGUES:
        for member in choices:
            assert audit.event_type_registered(member.value)
            assert isinstance(member.label, Promise), member  # gettext_lazy, not a plain str
            assert event_label(member.value) == str(member.label)
    codes = [code for code, _label in event_type_choices()]
    assert len(codes) == len(set(codes)) == sum(len(c) for c in CATALOGUES)


def test_every_case_event_writes_a_catalogued_audit_type():
    assert set(FOR_CASE_EVENT) == set(CaseEvent.Type)


def test_stored_codes_are_unchanged():
    assert EnrollmentType.AGREEMENT_ACCEPTED == "agreement.accepted"
    assert RelationshipsType.ORDER_PLACED == "relationships.order.placed"
    assert CommerceType.ORDER_PLACED == "commerce.order.placed"
    assert VerificationType.APPROVED == "verification.approved"


@pytest.mark.django_db
def test_recording_an_undeclared_type_raises_in_tests():
    with pytest.raises(ImproperlyConfigured):
        audit_record(type="enrollment.typo", organization=None)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_recording_an_undeclared_type_is_logged_not_refused_in_production(settings, caplog):
    settings.PORTAL_AUDIT_STRICT = False
    audit_record(type="enrollment.typo", organization=None)
    assert AuditEvent.objects.filter(type="enrollment.typo").exists()
    assert "enrollment.typo" in caplog.text


def test_an_unknown_stored_code_shows_as_itself():
    assert event_label("retired.type") == "retired.type"
