from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    """Money per tier: charge lines written with every subscription change, rated usage, the
    monthly close that issues invoices, their PDFs and the reconciliation files. Uses `commerce`
    and `portal`; neither imports it."""

    name = "invoicing"

    def ready(self) -> None:
        from commerce.hooks import register_subscription_hook

        from .services import charges_on_subscription_change

        register_subscription_hook(charges_on_subscription_change)
