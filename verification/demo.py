"""Demo verification cases (DOMAIN.md demo data), made by the real services so each has its
events and emails: Northwind verified, Tailspin in review, Wingtip waiting for its primary
contact. Idempotent: an organization that has a case is left alone."""

from __future__ import annotations

from django.db import transaction

from portal.models import Membership, Organization, OutboxMessage, User

from .models import VerificationCase
from .services import case_approve, case_checks_complete, case_contact_confirm, case_open

REVIEWER = "reviewer@csp-operator.example"
TARGETS = {
    "northwind-it.example": VerificationCase.Status.VERIFIED,
    "tailspin-cloud.example": VerificationCase.Status.IN_REVIEW,
    "wingtip-systems.example": VerificationCase.Status.EMAIL_PENDING,
}


def _global_admin(organization: Organization) -> User | None:
    membership = (
        Membership.objects.filter(organization=organization, global_admin=True)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _confirmation_key(case: VerificationCase) -> str:
    message = OutboxMessage.objects.get(
        organization=case.organization, template="verification_contact_confirm"
    )
    return message.context["link"].rstrip("/").rsplit("/", 1)[-1]


def seed() -> None:
    reviewer = User.objects.get(email=REVIEWER)
    for domain, target in TARGETS.items():
        organization = Organization.objects.get(primary_domain=domain)
        if VerificationCase.objects.filter(organization=organization).exists():
            continue
        with transaction.atomic():
            case = case_open(organization=organization, actor=_global_admin(organization))
        if target == VerificationCase.Status.EMAIL_PENDING:
            continue
        case_contact_confirm(key=_confirmation_key(case))
        case_checks_complete(case_id=case.pk)  # the worker would do it a moment later
        if target == VerificationCase.Status.VERIFIED:
            case_approve(case=case, actor=reviewer, note="Demo: documents on file.")
