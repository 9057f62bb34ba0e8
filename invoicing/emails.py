"""The email sent when an invoice is issued (to the buyer's Global and Billing admins, in the
buyer's language). The close calls it inside its transaction; the email is queued through the
outbox on commit."""

from __future__ import annotations

from .models import Invoice


def send_invoice_issued(invoice: Invoice) -> None:
    """Queue the "invoice issued" email for `invoice` (filled in by the documents work)."""
