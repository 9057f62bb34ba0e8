from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    """Money per tier: charge lines written with every subscription change, rated usage, the
    monthly close that issues invoices, their PDFs and the reconciliation files. Uses `commerce`
    and `portal`; neither imports it."""

    name = "invoicing"
