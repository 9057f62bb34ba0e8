"""The email sent when an invoice is issued: to the buyer's Global and Billing admins, each
once per invoice (the outbox key names the invoice and the recipient), in the recipient's
language (`email_language`: the person's own, else the buyer's). The close calls it inside its
transaction: the messages are outbox rows written in that transaction and sent after the
commit, so a rolled-back close sends nothing. Templates: emails/invoicing_invoice_issued*."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from portal.models import User
from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language, global_admins, global_admins_of
from portal.templatetags.portal_formats import money

from .models import Invoice
from .pdf import period_label


def send_invoices_issued(invoices: list[Invoice]) -> None:
    """`send_invoice_issued` for a batch of the close's invoices: their buyers' admins read in
    one query (most buyers of a distributor's month have none to write to)."""
    admins = global_admins_of({i.buyer_id for i in invoices}, billing_admins=True)
    for invoice in invoices:
        send_invoice_issued(invoice, admins.get(invoice.buyer_id, []))


def send_invoice_issued(invoice: Invoice, admins: list[User] | None = None) -> None:
    """Queue the "invoice issued" email for `invoice` to each admin of its buyer (`admins`
    when the caller read them)."""
    buyer = invoice.buyer
    if admins is None:
        admins = global_admins(organization=buyer, billing_admins=True)
    if not admins:
        return
    url = absolute_url(reverse("invoicing:invoice_detail", args=[invoice.pk]))
    seen: set[str] = set()
    for user in admins:
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
