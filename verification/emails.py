"""What each verification email and in-app notification says, and to whom it goes.

Every message is an outbox row written inside the transition's transaction; its key names the
case event that caused it, so re-running a transition never writes a second copy."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_noop

from portal.audit import notify
from portal.models import User
from portal.notices import Notice
from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language

from .models import CaseEvent, VerificationCase

VERIFICATION_PATH = "/verification/"


def _base_context(case: VerificationCase) -> dict[str, Any]:
    profile = case.organization.legal_profile
    return {
        "legal_name": profile.legal_name,
        "contact_name": profile.primary_contact_name,
        "contact_email": profile.primary_contact_email,
        "verification_url": absolute_url(VERIFICATION_PATH),
        "case_id": case.pk,
    }


def email_primary_contact(
    *,
    case: VerificationCase,
    event: CaseEvent,
    template: str,
    context: dict[str, Any] | None = None,
    to: str | None = None,
) -> None:
    """One email per case event to the primary contact, in the organization's language."""
    to = to or case.organization.legal_profile.primary_contact_email
    # The contact's own language when it has an account, else the organization's.
    language = email_language(email=to, organization=case.organization)
    with translation.override(language):
        ctx = {**_base_context(case), **(context or {})}
        # Lazy labels become plain strings in the recipient's language (JSON-serialisable).
        ctx = {k: str(v) if isinstance(v, Promise) else v for k, v in ctx.items()}
    outbox_enqueue(
        key=f"case:{case.pk}:{event.pk}",
        to=to,
        template=template,
        context=ctx,
        language=language,
        organization=case.organization,
    )


def notify_partner(*, case: VerificationCase, status_label: Any) -> None:
    """The in-app notice for the organization's admins, worded in each reader's language (the
    status label is stored as its msgid)."""
    with translation.override("en"):
        status = str(status_label)
    notify(
        organization=case.organization,
        message=Notice(gettext_noop("Verification: %(status)s"), {"status": status}, ("status",)),
        link=VERIFICATION_PATH,
    )


def email_verification_admins(
    *, case: VerificationCase, event: CaseEvent, admins: list[User], template: str
) -> None:
    """One email to each of the operator's verification admins, each in their own language."""
    for admin in admins:
        language = email_language(user=admin)
        outbox_enqueue(
            key=f"case:{case.pk}:{event.pk}:{admin.pk}",
            to=admin.email,
            template=template,
            context={
                "legal_name": case.organization.legal_profile.legal_name,
                "review_url": absolute_url(f"/review/{case.pk}/"),
                "case_id": case.pk,
            },
            language=language,
            organization=None,
        )
