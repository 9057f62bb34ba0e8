"""A failed email for the operations page (/operations/): Northwind's Global admin added a
colleague whose mail server keeps answering "try again later". The worker tries it again by
itself in an hour; "Retry now" on the page sends it at once. Idempotent (one key)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone, translation

from portal.models import Membership, OutboxMessage, Role
from portal.outbox import absolute_url, render_email

KEY = "demo:failed-email:northwind-colleague"
TO = "marco.bianchi@northwind-it.example"
ERROR = (
    "SMTPRecipientsRefused: {'marco.bianchi@northwind-it.example': "
    "(450, b'4.2.1 Mailbox temporarily unavailable, try again later')}"
)


def seed() -> None:
    if OutboxMessage.objects.filter(idempotency_key=KEY).exists():
        return
    admin = Membership.objects.select_related("user", "organization").get(
        user__email="admin@northwind-it.example"
    )
    organization = admin.organization
    language = organization.language
    with translation.override(language):
        roles = [str(Role.SALES_AGENT.label)]
    context = {
        "organization": organization.legal_name,
        "inviter": admin.user.get_full_name(),
        "roles": roles,
        "link": absolute_url(reverse("account_login")),
        "new_user": False,
    }
    subject, text, html = render_email(
        template="enrollment_member_invited", context=context, language=language
    )
    now = timezone.now()
    OutboxMessage.objects.create(
        idempotency_key=KEY,
        organization=organization,
        to_email=TO,
        template="enrollment_member_invited",
        language=language,
        context=context,
        subject=subject,
        body_text=text,
        body_html=html,
        attempts=4,
        last_error=ERROR,
        created_at=now - timedelta(hours=2),
        next_attempt_at=now + timedelta(hours=1),
    )
