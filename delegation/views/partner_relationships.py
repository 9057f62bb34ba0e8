"""/partner-relationships/: the customer's partners and what they may do in its account.

Stub on the GDAP branch (only its GDAP section); the DAP branch's page replaces it on merge and
includes `delegation/_gdap_section.html` with `gdap_section_context()`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from portal.policy import Action
from portal.tenancy import TenantViewMixin

from .gdap import gdap_section_context


class PartnerRelationshipsView(TenantViewMixin, View):
    required_action = Action.MANAGE_PARTNER_ACCESS

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "delegation/partner_relationships.html",
            gdap_section_context(self.organization),
        )
