from __future__ import annotations

from portal.models import OutboxMessage
from verification.models import VerificationCase


def last_link_key(case: VerificationCase) -> str:
    """The key in the newest confirmation link emailed for `case`."""
    message = (
        OutboxMessage.objects.filter(
            organization=case.organization,
            template__in=["verification_contact_confirm", "verification_contact_reminder"],
        )
        .order_by("-pk")
        .first()
    )
    return message.context["link"].rstrip("/").rsplit("/", 1)[-1]


def templates_sent(case: VerificationCase) -> list[str]:
    return list(
        OutboxMessage.objects.filter(organization=case.organization)
        .order_by("pk")
        .values_list("template", flat=True)
    )
