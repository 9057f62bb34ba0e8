"""The customer's Partner relationships page: its resellers and their providers, whether each
holds delegated admin access (DAP), and the granular admin roles section (GDAP, its own
template, `delegation/_gdap_section.html`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from portal.models import Organization
from portal.policy import Action
from portal.tenancy import TenantViewMixin

from ..selectors import partners_of_customer
from .gdap import gdap_section_context


class PartnerRelationshipsView(TenantViewMixin, View):
    required_action = Action.MANAGE_PARTNER_ACCESS
    organization_kinds = {Organization.Kind.CUSTOMER}
    template_name = "delegation/partner_relationships.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        page = partners_of_customer(customer=self.organization, page=request.GET.get("page"))
        return render(
            request,
            self.template_name,
            {
                "page": page,
                "customer": self.organization,
                **gdap_section_context(self.organization),
            },
        )
