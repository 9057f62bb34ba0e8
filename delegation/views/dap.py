"""A partner's side of delegated admin access (DAP): "Administer on behalf of" a customer, and
removing admin access (the reseller its provider's, from the customer's page; the customer's
Global admin any partner's, from Partner relationships)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.confirm import confirmed
from portal.models import Organization
from portal.policy import Action, can
from portal.tenancy import TenantViewMixin, delegation_enter

from ..models import AdminAccess
from ..services.dap import admin_access_remove, administration_start

Kind = Organization.Kind
# Where an administration session starts: the customer's User management.
LANDING = "account_settings:users"


class AdministerView(TenantViewMixin, View):
    """POST: start administering a customer on its behalf (the button on the partner's customer
    page). A customer the partner does not work with is a 404; one it works with but may not
    administer gets a page saying why."""

    required_action = Action.ADMINISTER_ON_BEHALF
    organization_kinds = {Kind.RESELLER, Kind.PROVIDER}
    http_method_names = ["post"]

    def post(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        try:
            delegated = administration_start(
                actor=self.membership.user, organization=self.organization, customer_id=customer_id
            )
        except Organization.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            return render(
                request,
                "delegation/administer_refused.html",
                {"refusal": " ".join(exc.messages), "customer_id": customer_id},
                status=403,
            )
        delegation_enter(request, delegated.organization)
        messages.success(
            request,
            _("You are now administering %(customer)s on behalf of %(partner)s.")
            % {
                "customer": delegated.organization.legal_name,
                "partner": self.organization.legal_name,
            },
        )
        return redirect(LANDING)


class AdminAccessRemoveView(TenantViewMixin, View):
    """Remove a partner's admin access to a customer: GET asks for confirmation, POST with the
    confirmation removes (without it, the same page asks again).

    Two doors, one service, each on its side's URL (the other side's is a 404 to it): the
    customer's Global admin on Partner relationships (`CustomerAdminAccessRemoveView`,
    `customer_id` absent), and a reseller (or a provider, its own) on its customer's page
    (`PartnerAdminAccessRemoveView`)."""

    required_action: Action

    def _access(self, pk: int, customer_id: int | None) -> AdminAccess:
        if customer_id is None:
            scope = Q(customer=self.organization)
        else:
            scope = Q(customer_id=customer_id) & (
                Q(reseller=self.organization) | Q(partner=self.organization)
            )
        access = (
            AdminAccess.objects.filter(scope, pk=pk, status=AdminAccess.Status.ACTIVE)
            .select_related("customer", "partner", "reseller")
            .first()
        )
        if access is None:
            raise Http404
        return access

    def _back(self, customer_id: int | None) -> str:
        if customer_id is None:
            return reverse("delegation:partner_relationships")
        return reverse("relationships:customer_detail", kwargs={"customer_id": customer_id})

    def get(self, request: HttpRequest, pk: int, customer_id: int | None = None) -> HttpResponse:
        access = self._access(pk, customer_id)
        return render(
            request,
            "delegation/admin_access_remove.html",
            {
                "access": access,
                "back": self._back(customer_id),
                "is_customer": customer_id is None,
            },
        )

    def post(self, request: HttpRequest, pk: int, customer_id: int | None = None) -> HttpResponse:
        self._access(pk, customer_id)  # another tenant's row: 404 before anything else
        if not can(self.membership, self.required_action):
            raise PermissionDenied
        if not confirmed(request):  # only the confirm page's button removes (portal/confirm.py)
            return self.get(request, pk, customer_id)
        try:
            access = admin_access_remove(
                actor=self.membership.user, organization=self.organization, access_id=pk
            )
        except AdminAccess.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(self._back(customer_id))
        messages.success(
            request,
            _("The admin access of %(partner)s to %(customer)s was removed.")
            % {"partner": access.partner.legal_name, "customer": access.customer.legal_name},
        )
        return redirect(self._back(customer_id))


class CustomerAdminAccessRemoveView(AdminAccessRemoveView):
    """/partner-relationships/admin-access/<id>/remove/: the customer's side."""

    required_action = Action.MANAGE_PARTNER_ACCESS
    organization_kinds = {Kind.CUSTOMER}


class PartnerAdminAccessRemoveView(AdminAccessRemoveView):
    """/customers/<customer id>/admin-access/<id>/remove/: the reseller's and provider's side."""

    required_action = Action.MANAGE_DELEGATED_ACCESS
    organization_kinds = {Kind.RESELLER, Kind.PROVIDER}
