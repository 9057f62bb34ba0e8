"""The email sent when an invoice is issued: to the buyer's Global and Billing admins, each
once per invoice (the outbox key names the invoice and the recipient), in the recipient's
language (`email_language`: the person's own, else the buyer's). The close calls it inside its
transaction: the messages are outbox rows written in that transaction and sent after the
commit, so a rolled-back close sends nothing. Templates: emails/invoicing_invoice_issued*."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language, global_admins
from portal.templatetags.portal_formats import money

from .models import Invoice
from .pdf import period_label


def send_invoice_issued(invoice: Invoice) -> None:
    """Queue the "invoice issued" email for `invoice` to each admin of its buyer."""
    buyer = invoice.buyer
    url = absolute_url(reverse("invoicing:invoice_detail", args=[invoice.pk]))
    seen: set[str] = set()
    for user in global_admins(organization=buyer, billing_admins=True):
        if user.email in seen:
            continue
        seen.add(user.email)
        language = email_language(user=user, organization=buyer)
        with translation.override(language):
            # The page's own formatting, so the email writes what the page shows.
            total = money(invoice.total, invoice.currency)
            period = period_label(invoice.period)
        outbox_enqueue(
            key=f"invoicing:invoice:{invoice.pk}:{user.pk}",
            to=user.email,
            template="invoicing_invoice_issued",
            context={
                "number": invoice.number,
                "seller_name": invoice.seller.legal_name,
                "buyer_name": buyer.legal_name,
                "period": period,
                "total": total,
                "currency": invoice.currency,
                "url": url,
            },
            language=language,
            organization=buyer,
        )
