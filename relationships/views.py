"""Thin views: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from portal.models import Market, Organization, Region
from portal.policy import Action, can
from portal.tenancy import TenantViewMixin

from . import selectors
from .errors import InvitationUnavailable
from .forms import (
    AcceptCustomerInvitationForm,
    AuthorizeProviderForm,
    CustomerInviteForm,
    CustomerOrganizationForm,
    OrderForm,
    ResellerInviteForm,
)
from .lists import ListPage
from .models import CustomerInvitation, ProviderRelationship, ResellerInvitation
from .services import customers as customer_services
from .services import orders as order_services
from .services import provider_relationships as relationship_services
from .services import reseller_invitations as invitation_services

Kind = Organization.Kind


class RelationshipsViewMixin(TenantViewMixin):
    """TenantViewMixin plus the organization kinds a page exists for (others get a 404)."""

    organization_kinds: set[str] | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any):
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and self.organization_kinds
            and membership.organization.kind not in self.organization_kinds
        ):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def _date(value) -> str:
    return formats.date_format(value, "Y-m-d") if value else ""


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# Find a provider ---------------------------------------------------------------------------


class FindProviderView(RelationshipsViewMixin, View):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.RESELLER}
    paginate_by = 20

    def get(self, request: HttpRequest) -> HttpResponse:
        search = request.GET.get("q", "").strip()[:100]
        try:
            region_id = int(request.GET.get("region") or 0) or None
        except ValueError:
            region_id = None
        qs = selectors.provider_directory(search=search, region_id=region_id)
        page = Paginator(qs, self.paginate_by).get_page(request.GET.get("page"))
        own_region = self.organization.country.region if self.organization.country else None
        entries = []
        for profile in page.object_list:
            regions = list(profile.regions.all())
            markets = [m for region in regions for m in region.markets.all()]
            entries.append(
                {
                    "profile": profile,
                    "regions": regions,
                    "markets": sorted(markets, key=lambda m: m.name),
                    "available": own_region is not None
                    and any(r.pk == own_region.pk for r in regions),
                }
            )
        params = request.GET.copy()
        params.pop("page", None)
        return render(
            request,
            "relationships/find_provider.html",
            {
                "page": page,
                "entries": entries,
                "q": search,
                "region_id": region_id,
                "regions": Region.objects.order_by("name"),
                "own_region": own_region,
                "query_string": params.urlencode(),
            },
        )


# Indirect resellers (provider) -------------------------------------------------------------


class IndirectResellersView(RelationshipsViewMixin, ListPage, View):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.PROVIDER}
    template_name = "relationships/indirect_resellers.html"
    search_fields = ("reseller__legal_name", "reseller__primary_domain")
    sort_options = {
        "name": (_l("Name (A to Z)"), ("reseller__legal_name",)),
        "-name": (_l("Name (Z to A)"), ("-reseller__legal_name",)),
        "-since": (_l("Newest first"), ("-authorized_at",)),
        "since": (_l("Oldest first"), ("authorized_at",)),
        "status": (_l("Active first"), ("status", "reseller__legal_name")),
    }
    default_sort = "status"
    csv_filename = "indirect-resellers.csv"
    csv_columns = [
        (_l("Reseller"), lambda r: r.reseller.legal_name),
        (_l("Country"), lambda r: r.reseller.country.name if r.reseller.country else ""),
        (_l("Status"), lambda r: r.get_status_display()),
        (_l("Admin access"), lambda r: _("Yes") if r.admin_access else _("No")),
        (_l("Shared customers"), lambda r: r.customer_count),
        (_l("Authorized on"), lambda r: _date(r.authorized_at)),
        (_l("Ended on"), lambda r: _date(r.ended_at)),
    ]

    def base_queryset(self):
        return selectors.resellers_of_provider(provider=self.organization)

    def get(self, request: HttpRequest, export: bool = False, form=None) -> HttpResponse:
        can_invite = can(self.membership, Action.INVITE_RESELLER)
        pending = []
        if can_invite and not self.wants_csv():
            pending = list(selectors.pending_reseller_invitations(provider=self.organization))
        return self.render_list(
            request,
            can_invite=can_invite,
            form=form or ResellerInviteForm(),
            pending=pending,
        )


class ResellerInviteView(RelationshipsViewMixin, View):
    required_action = Action.INVITE_RESELLER
    organization_kinds = {Kind.PROVIDER}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ResellerInviteForm(request.POST)
        if form.is_valid():
            try:
                invitation = invitation_services.reseller_invitation_create(
                    membership=self.membership,
                    email=form.cleaned_data["email"],
                    partner_id=form.cleaned_data["partner_id"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s. The link expires on %(date)s.")
                    % {"email": invitation.email, "date": _date(invitation.expires_at)},
                )
                return redirect("relationships:indirect_resellers")
        view = IndirectResellersView()
        view.setup(request)
        view.membership = self.membership
        view.organization = self.organization
        response = view.get(request, form=form)
        response.status_code = 400
        return response


class ResellerInvitationActionView(RelationshipsViewMixin, View):
    required_action = Action.INVITE_RESELLER
    organization_kinds = {Kind.PROVIDER}

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        service = {
            "resend": invitation_services.reseller_invitation_resend,
            "revoke": invitation_services.reseller_invitation_revoke,
        }.get(action)
        if service is None:
            raise Http404
        try:
            invitation = service(membership=self.membership, invitation_id=pk)
        except ResellerInvitation.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            if action == "resend":
                messages.success(
                    request,
                    _("Invitation sent again to %(email)s. The link expires on %(date)s.")
                    % {"email": invitation.email, "date": _date(invitation.expires_at)},
                )
            else:
                messages.success(
                    request,
                    _("Invitation to %(email)s revoked; its link no longer works.")
                    % {"email": invitation.email},
                )
        return redirect("relationships:indirect_resellers")


class RelationshipActionView(RelationshipsViewMixin, View):
    """Remove partnership (provider), remove admin access or end the relationship (reseller)."""

    required_action = Action.VIEW_RELATIONSHIPS

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        is_provider = self.organization.kind == Kind.PROVIDER
        allowed = {"end"} if is_provider else {"end", "remove-admin-access"}
        if action not in allowed:
            raise Http404
        service = (
            relationship_services.relationship_end
            if action == "end"
            else relationship_services.relationship_admin_access_remove
        )
        try:
            relationship = service(membership=self.membership, relationship_id=pk)
        except ProviderRelationship.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            other = relationship.reseller if is_provider else relationship.provider
            if action == "end":
                messages.success(
                    request,
                    _("The relationship with %(other)s has ended.") % {"other": other.legal_name},
                )
            else:
                messages.success(
                    request,
                    _("%(provider)s no longer has admin access to your account.")
                    % {"provider": other.legal_name},
                )
        return redirect(
            "relationships:indirect_resellers"
            if is_provider
            else "relationships:indirect_providers"
        )


# Indirect providers (reseller) -------------------------------------------------------------


class IndirectProvidersView(RelationshipsViewMixin, ListPage, View):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.RESELLER}
    template_name = "relationships/indirect_providers.html"
    search_fields = ("provider__legal_name",)
    sort_options = {
        "status": (_l("Active first"), ("status", "provider__legal_name")),
        "name": (_l("Name (A to Z)"), ("provider__legal_name",)),
        "-name": (_l("Name (Z to A)"), ("-provider__legal_name",)),
        "-since": (_l("Newest first"), ("-authorized_at",)),
        "since": (_l("Oldest first"), ("authorized_at",)),
    }
    default_sort = "status"
    csv_filename = "indirect-providers.csv"
    csv_columns = [
        (_l("Provider"), lambda r: r.provider.legal_name),
        (_l("Status"), lambda r: r.get_status_display()),
        (_l("Admin access"), lambda r: _("Yes") if r.admin_access else _("No")),
        (_l("Shared customers"), lambda r: r.customer_count),
        (_l("Authorized on"), lambda r: _date(r.authorized_at)),
        (_l("Ended on"), lambda r: _date(r.ended_at)),
    ]

    def base_queryset(self):
        return selectors.providers_of_reseller(reseller=self.organization)

    def get(self, request: HttpRequest, export: bool = False) -> HttpResponse:
        return self.render_list(
            request,
            can_manage=can(self.membership, Action.AUTHORIZE_PROVIDER),
            can_invite=can(self.membership, Action.INVITE_CUSTOMER),
        )


class CustomerInviteView(RelationshipsViewMixin, View):
    required_action = Action.INVITE_CUSTOMER
    organization_kinds = {Kind.RESELLER}

    def _render(self, request: HttpRequest, form, status: int = 200) -> HttpResponse:
        return render(
            request,
            "relationships/invite_customer.html",
            {
                "form": form,
                "pending": selectors.pending_customer_invitations(reseller=self.organization),
            },
            status=status,
        )

    def _form(self, data=None) -> CustomerInviteForm:
        providers = selectors.active_providers_of_reseller(reseller=self.organization)
        initial = {"provider": self.request.GET.get("provider")}
        return CustomerInviteForm(data, providers=providers, initial=initial)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            try:
                invitation = customer_services.customer_invitation_create(
                    membership=self.membership,
                    provider_id=form.cleaned_data["provider"].pk,
                    email=form.cleaned_data["email"],
                    company_name=form.cleaned_data["company_name"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Invitation sent to %(email)s. Accepting it shares %(company)s with "
                        "%(provider)s."
                    )
                    % {
                        "email": invitation.email,
                        "company": invitation.company_name,
                        "provider": invitation.provider.legal_name,
                    },
                )
                return redirect("relationships:invite_customer")
        return self._render(request, form, status=400)


# Customers -----------------------------------------------------------------------------------


class CustomersView(RelationshipsViewMixin, ListPage, View):
    required_action = Action.VIEW_CUSTOMERS
    template_name = "relationships/customers.html"
    csv_filename = "customers.csv"

    @property
    def is_provider(self) -> bool:
        return self.organization.kind == Kind.PROVIDER

    @property
    def partner_field(self) -> str:
        """The other partner on each row: the reseller (provider's view) or the provider."""
        return "reseller" if self.is_provider else "provider"

    @property
    def search_fields(self):  # type: ignore[override]
        return ("customer__legal_name", f"{self.partner_field}__legal_name")

    @property
    def sort_options(self):  # type: ignore[override]
        partner = self.partner_field
        return {
            "partner": (
                _l("Reseller (A to Z)") if self.is_provider else _l("Provider (A to Z)"),
                (f"{partner}__legal_name", "customer__legal_name"),
            ),
            "name": (_l("Customer (A to Z)"), ("customer__legal_name",)),
            "-name": (_l("Customer (Z to A)"), ("-customer__legal_name",)),
            "-since": (_l("Newest first"), ("-created_at",)),
        }

    @property
    def default_sort(self) -> str:  # type: ignore[override]
        return "partner"

    @property
    def csv_columns(self):  # type: ignore[override]
        partner = self.partner_field
        return [
            (_l("Customer"), lambda r: r.customer.legal_name),
            (_l("Country"), lambda r: r.customer.country.name if r.customer.country else ""),
            (
                _l("Reseller") if self.is_provider else _l("Shared with provider"),
                lambda r: getattr(r, partner).legal_name,
            ),
            (_l("Since"), lambda r: _date(r.created_at)),
        ]

    def base_queryset(self):
        if self.is_provider:
            return selectors.customers_shared_with_provider(provider=self.organization)
        return selectors.customers_of_reseller(reseller=self.organization)

    def partner_filter(self) -> int | None:
        try:
            return int(self.request.GET.get(self.partner_field) or 0) or None
        except ValueError:
            return None

    def filter_queryset(self, qs):
        partner_id = self.partner_filter()
        if partner_id:
            qs = qs.filter(**{f"{self.partner_field}_id": partner_id})
        return qs

    def extra_context(self) -> dict[str, Any]:
        if self.is_provider:
            partners = Organization.objects.filter(
                Q(provider_relationships__provider=self.organization)
            ).distinct()
        else:
            partners = Organization.objects.filter(
                reseller_relationships__reseller=self.organization
            ).distinct()
        return {
            "is_provider": self.is_provider,
            "partner_field": self.partner_field,
            "partners": partners.order_by("legal_name"),
            "partner_id": self.partner_filter(),
        }

    def get(self, request: HttpRequest, export: bool = False) -> HttpResponse:
        return self.render_list(request)


class CustomerDetailView(RelationshipsViewMixin, View):
    required_action = Action.VIEW_CUSTOMERS

    def _shared(self, customer_id: int):
        if self.organization.kind == Kind.PROVIDER:
            qs = selectors.customers_shared_with_provider(provider=self.organization)
        else:
            qs = selectors.customers_of_reseller(reseller=self.organization)
        rows = list(qs.filter(customer_id=customer_id))
        if not rows:
            raise Http404
        return rows

    def _render(self, request: HttpRequest, customer_id: int, form=None, status=200):
        rows = self._shared(customer_id)
        customer = rows[0].customer
        can_order = self.organization.kind == Kind.PROVIDER and can(
            self.membership, Action.PLACE_ORDER
        )
        orders = selectors.orders_for_customer(organization=self.organization, customer=customer)
        page = Paginator(orders, 25).get_page(request.GET.get("page"))
        return render(
            request,
            "relationships/customer_detail.html",
            {
                "customer": customer,
                "rows": rows,
                "page": page,
                "can_order": can_order,
                "form": form or OrderForm(),
                "is_provider": self.organization.kind == Kind.PROVIDER,
            },
            status=status,
        )

    def get(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        return self._render(request, customer_id)

    def post(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        if self.organization.kind != Kind.PROVIDER or not can(self.membership, Action.PLACE_ORDER):
            raise Http404
        form = OrderForm(request.POST)
        if form.is_valid():
            try:
                order = order_services.order_place(
                    membership=self.membership,
                    customer_id=customer_id,
                    offer_name=form.cleaned_data["offer_name"],
                    quantity=form.cleaned_data["quantity"],
                )
            except ValidationError as exc:
                # The relationship may have ended since the page was shown; a customer that
                # was never shared gets the same page as one that does not exist.
                return render(
                    request,
                    "relationships/order_refused.html",
                    {"refusal": _error_text(exc)},
                    status=403,
                )
            messages.success(
                request,
                _("Order placed: %(quantity)s x %(offer)s for %(customer)s.")
                % {
                    "quantity": order.quantity,
                    "offer": order.offer_name,
                    "customer": order.customer.legal_name,
                },
            )
            return redirect("relationships:customer_detail", customer_id=customer_id)
        return self._render(request, customer_id, form=form, status=400)


# Invitations (provider → reseller, reseller → customer) -------------------------------------


class InvitationView(LoginRequiredMixin, View):
    """/invitations/<key>/: GET shows what accepting means; only POST acts."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.invitation = selectors.invitation_by_key(kwargs["key"])
        self.membership = getattr(request, "membership", None)
        if self.invitation is None:
            return render(
                request,
                "relationships/invitation_unavailable.html",
                {"reason": "invalid"},
                status=404,
            )
        return super().dispatch(request, *args, **kwargs)

    def unavailable(self, request: HttpRequest, exc: InvitationUnavailable) -> HttpResponse:
        return render(
            request,
            "relationships/invitation_unavailable.html",
            {"reason": exc.reason, "invitation": exc.invitation},
            status=200 if exc.reason == "accepted" else 410,
        )

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        if self.invitation.effective_status != "pending":
            return self.unavailable(
                request, InvitationUnavailable(self.invitation.effective_status, self.invitation)
            )
        if isinstance(self.invitation, ResellerInvitation):
            return self.render_reseller(request, AuthorizeProviderForm())
        return self.render_customer(request)

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        action = request.POST.get("action", "")
        try:
            if isinstance(self.invitation, ResellerInvitation):
                return self.post_reseller(request, action)
            return self.post_customer(request, action)
        except InvitationUnavailable as exc:
            return self.unavailable(request, exc)

    # provider → reseller

    def render_reseller(self, request, form, refusal: str | None = None, status: int = 200):
        provider = self.invitation.organization
        if refusal is None:
            refusal = invitation_services.reseller_authorization_refusal(
                membership=self.membership, provider=provider
            )
        return render(
            request,
            "relationships/invitation_reseller.html",
            {
                "invitation": self.invitation,
                "provider": provider,
                "reseller": self.membership.organization if self.membership else None,
                "form": form,
                "refusal": refusal,
            },
            status=status,
        )

    def post_reseller(self, request: HttpRequest, action: str) -> HttpResponse:
        if action == "decline":
            try:
                invitation_services.reseller_invitation_decline(
                    membership=self.membership, invitation_id=self.invitation.pk
                )
            except ValidationError as exc:
                return self.render_reseller(
                    request, AuthorizeProviderForm(), refusal=_error_text(exc), status=403
                )
            messages.success(
                request,
                _("You declined the invitation from %(provider)s.")
                % {"provider": self.invitation.organization.legal_name},
            )
            return redirect("portal:dashboard")
        form = AuthorizeProviderForm(request.POST)
        if not form.is_valid():
            # A used or withdrawn link says so even when the box was not ticked.
            self.invitation.refresh_from_db()
            if self.invitation.effective_status != "pending":
                raise InvitationUnavailable(self.invitation.effective_status, self.invitation)
            return self.render_reseller(request, form, status=400)
        try:
            relationship = invitation_services.reseller_invitation_accept(
                membership=self.membership, invitation_id=self.invitation.pk
            )
        except ValidationError as exc:
            return self.render_reseller(
                request, AuthorizeProviderForm(), refusal=_error_text(exc), status=403
            )
        messages.success(
            request,
            _(
                "You authorized %(provider)s. It can now place orders for the customers you "
                "share with it."
            )
            % {"provider": relationship.provider.legal_name},
        )
        return redirect("relationships:indirect_providers")

    # reseller → customer

    def _markets(self):
        reseller = self.invitation.organization
        if reseller.country_id is None:
            return Market.objects.order_by("name")
        return Market.objects.filter(region_id=reseller.country.region_id).order_by("name")

    def render_customer(
        self, request, form=None, org_form=None, refusal: str | None = None, status: int = 200
    ):
        needs_organization = self.membership is None
        if needs_organization and org_form is None:
            org_form = CustomerOrganizationForm(
                initial={"legal_name": self.invitation.company_name}, markets=self._markets()
            )
        if refusal is None and not needs_organization:
            refusal = customer_services.customer_acceptance_refusal(
                membership=self.membership, invitation=self.invitation
            )
        return render(
            request,
            "relationships/invitation_customer.html",
            {
                "invitation": self.invitation,
                "reseller": self.invitation.organization,
                "provider": self.invitation.provider,
                "needs_organization": needs_organization,
                "org_form": org_form,
                "form": form or AcceptCustomerInvitationForm(),
                "refusal": refusal,
            },
            status=status,
        )

    def post_customer(self, request: HttpRequest, action: str) -> HttpResponse:
        invitation: CustomerInvitation = self.invitation
        if invitation.effective_status != "pending":
            raise InvitationUnavailable(invitation.effective_status, invitation)
        if action == "create_organization":
            org_form = CustomerOrganizationForm(request.POST, markets=self._markets())
            if self.membership is not None or not org_form.is_valid():
                return self.render_customer(request, org_form=org_form, status=400)
            try:
                customer_services.customer_organization_create(
                    user=request.user,
                    legal_name=org_form.cleaned_data["legal_name"],
                    country=org_form.cleaned_data["country"],
                )
            except ValidationError as exc:
                org_form.add_error(None, exc)
                return self.render_customer(request, org_form=org_form, status=400)
            messages.success(request, _("Your company's account is ready."))
            return redirect(request.path)
        if action == "decline":
            customer_services.customer_invitation_decline(
                membership=self.membership, invitation_id=invitation.pk, user=request.user
            )
            messages.success(
                request,
                _("You declined the invitation from %(reseller)s.")
                % {"reseller": invitation.organization.legal_name},
            )
            return redirect("portal:home")
        form = AcceptCustomerInvitationForm(request.POST)
        if not form.is_valid():
            return self.render_customer(request, form=form, status=400)
        try:
            customer_services.customer_invitation_accept(
                membership=self.membership, invitation_id=invitation.pk
            )
        except ValidationError as exc:
            return self.render_customer(request, refusal=_error_text(exc), status=403)
        messages.success(
            request,
            _("You now work with %(reseller)s and %(provider)s.")
            % {
                "reseller": invitation.organization.legal_name,
                "provider": invitation.provider.legal_name,
            },
        )
        return redirect("portal:dashboard")
