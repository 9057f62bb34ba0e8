"""The Billing and Subscriptions exports, registered with `portal.exports` (see apps.py): each is
its list's own export view, replayed with the stored filters (a worker preparing a large one)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _l

from portal.exports import ExportKind, ExportSource, register_export
from portal.models import Organization
from portal.policy import Action

from .views_lists import BillingExportView, SubscriptionExportView


def _export_source_of(
    organization: Organization, params: QueryDict, view_class: Any
) -> ExportSource:
    view = view_class()
    request = HttpRequest()
    request.GET = params  # type: ignore[assignment]
    view.setup(request)
    view.organization = organization
    return view.export_source(request)


def billing_export_source(organization: Organization, params: QueryDict) -> ExportSource:
    return _export_source_of(organization, params, BillingExportView)


def subscriptions_export_source(organization: Organization, params: QueryDict) -> ExportSource:
    return _export_source_of(organization, params, SubscriptionExportView)


def register_exports() -> None:
    register_export(
        ExportKind(
            name="billing",
            title=_l("Billing"),
            filename="billing.csv",
            list_url="commerce:billing",
            action=Action.VIEW_BILLING,
            source=billing_export_source,
        )
    )
    register_export(
        ExportKind(
            name="subscriptions",
            title=_l("Subscriptions"),
            filename="subscriptions.csv",
            list_url="commerce:subscriptions",
            action=Action.VIEW_SUBSCRIPTIONS,
            source=subscriptions_export_source,
        )
    )
