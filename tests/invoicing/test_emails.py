"""The "invoice issued" email: an outbox row per Global and Billing admin of the buyer (never
sent inline, never to the seller or another member), in the recipient's language (the buyer's
when the person chose none), with the number, the period, the total and a link to the page."""

from __future__ import annotations

import pytest
from django.core import mail

from invoicing.emails import send_invoice_issued
from portal.models import OutboxMessage
from tests.factories import member
from tests.invoicing.factories import chain

pytestmark = pytest.mark.django_db


def test_the_buyers_admins_get_one_message_each_in_the_buyers_language(
    django_capture_on_commit_callbacks,
):
    c = chain()
    c.adatum.language = "it"
    c.adatum.save(update_fields=["language"])
    admin = member(c.adatum)
    admin.user.language = "it"  # the person's own choice first
    admin.user.save(update_fields=["language"])
    billing = member(c.adatum, billing_admin=True)
    billing.user.language = ""  # none: the buyer's
    billing.user.save(update_fields=["language"])
    member(c.adatum, helpdesk_agent=True)
    member(c.northwind)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False):
        send_invoice_issued(c.reseller_invoice)
        send_invoice_issued(c.reseller_invoice)  # a retried close writes nothing more
    messages = OutboxMessage.objects.order_by("pk")
    assert [m.to_email for m in messages] == [admin.user.email, billing.user.email]
    assert mail.outbox == []  # queued, not sent inline
    assert [m.language for m in messages] == ["it", "it"]
    message = messages[0]
    assert message.subject == f"Fattura {c.reseller_invoice.number} da Northwind Traders"
    assert "106,00\u00a0€" in message.body_text and "ottobre 2026" in message.body_text.lower()
    assert f"/billing/invoices/{c.reseller_invoice.pk}/" in message.body_text
    assert "€80" not in message.body_text


def test_an_english_buyer_gets_english(django_capture_on_commit_callbacks):
    c = chain()
    admin = member(c.northwind)
    with django_capture_on_commit_callbacks(execute=False):
        send_invoice_issued(c.provider_invoice)
    message = OutboxMessage.objects.get(to_email=admin.user.email)
    assert message.language == "en"
    assert message.subject == f"Invoice {c.provider_invoice.number} from Contoso Distribution"
    assert "€124.50" in message.body_text and "October 2026" in message.body_text
