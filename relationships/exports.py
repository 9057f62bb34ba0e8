"""The relationships lists' exports, registered with `portal.exports` (see apps.py): each is
the list page's own export (`ListPage.export_source_for`), so a background file has the columns,
filters and order of the one that streams."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.exports import ExportKind, register_export
from portal.models import Organization
from portal.policy import Action


def register_exports() -> None:
    from .views.customers import CustomersView
    from .views.partners import IndirectProvidersView, IndirectResellersView

    Kind = Organization.Kind
    register_export(
        ExportKind(
            name="customers",
            title=_("Customers"),
            filename="customers.csv",
            list_url="relationships:customers",
            action=Action.VIEW_CUSTOMERS,
            source=CustomersView.export_source_for,
        )
    )
    register_export(
        ExportKind(
            name="indirect_resellers",
            title=_("Indirect resellers"),
            filename="indirect-resellers.csv",
            list_url="relationships:indirect_resellers",
            action=Action.VIEW_RELATIONSHIPS,
            source=IndirectResellersView.export_source_for,
            organization_kinds=frozenset({Kind.PROVIDER}),
        )
    )
    register_export(
        ExportKind(
            name="indirect_providers",
            title=_("Indirect providers"),
            filename="indirect-providers.csv",
            list_url="relationships:indirect_providers",
            action=Action.VIEW_RELATIONSHIPS,
            source=IndirectProvidersView.export_source_for,
            organization_kinds=frozenset({Kind.RESELLER}),
        )
    )
