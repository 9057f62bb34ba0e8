from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    """Money per tier: charge lines written with every subscription change, rated usage, the
    monthly close that issues invoices, their PDFs and the reconciliation files. Uses `commerce`
    and `portal`; neither imports it."""

    name = "invoicing"

    def ready(self) -> None:
        from commerce.hooks import register_subscription_hook

        from .services import charges_on_subscription_change

        # Charge lines in the subscription change's own transaction (commerce/hooks.py).
        register_subscription_hook(charges_on_subscription_change)
        from portal.audit import register_event_types

        from .events import AuditType

        register_event_types(AuditType)
        self._register_pages()

    def _register_pages(self) -> None:
        """The Invoices and Reconciliation pages in the navigation and on the Billing page,
        and the reconciliation file as an export kind (`portal.exports`)."""
        from django.utils.translation import gettext_lazy as _

        from portal.navigation import NavEntry, register_nav
        from portal.policy import Action
        from portal.sections import register_section

        from .exports import register_exports
        from .sections import billing_links_section

        register_nav(
            NavEntry(_("Invoices"), "invoicing:invoices", Action.VIEW_INVOICES, order=61),
            NavEntry(
                _("Reconciliation"), "invoicing:reconciliation", Action.VIEW_INVOICES, order=62
            ),
            NavEntry(_("Usage files"), "invoicing:usage_imports", Action.IMPORT_USAGE, order=63),
        )
        register_section("billing", billing_links_section, order=10)
        register_exports()
