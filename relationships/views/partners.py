"""Indirect resellers (provider) and Indirect providers (reseller): lists, invitations and
relationship changes."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from portal.confirm import Confirmation, confirm_page, confirmed
from portal.countries import country_name
from portal.form_tokens import FIELD as FORM_TOKEN
from portal.form_tokens import Repeat, create_once
from portal.models import Organization
from portal.paging import BoundedPage, bounded_page
from portal.policy import Action, can
from portal.tenancy import TenantViewMixin

from .. import selectors
from ..forms import (
    CustomerInviteForm,
    ResellerInviteForm,
)
from ..lists import Column, ListPage, memo_uncounted_page
from ..models import CustomerInvitation, ProviderRelationship, ResellerInvitation
from ..services import customers as customer_services
from ..services import provider_relationships as relationship_services
from ..services import reseller_invitations as invitation_services
from ._base import (
    Kind,
    date_text,
    error_text,
    iso_date,
    status_text,
    yes_no,
)
from .inbox import inbox_page

PENDING_PER_PAGE = 20


class SharedCustomerCounts:
    """The "Shared customers" column of a relationships list: one grouped query over the page's
    (or a CSV batch's) partner ids, never a count per row or over every row."""

    partner: str  # "reseller" on a provider's list, "provider" on a reseller's
    organization: Organization

    def _shared_counts(self, ids: set[int]) -> dict[int, int]:
        side = "provider" if self.partner == "reseller" else "reseller"
        return selectors.shared_customer_counts(ids=ids, **{side: self.organization})

    def complete_rows(self, rows) -> None:
        key = f"{self.partner}_id"
        counts = self._shared_counts({getattr(row, key) for row in rows})
        for row in rows:
            row.customer_count = counts.get(getattr(row, key), 0)

    def complete_csv_rows(self, rows) -> None:
        key = f"{self.partner}_id"
        counts = self._shared_counts({row[key] for row in rows})
        for row in rows:
            row["customer_count"] = counts.get(row[key], 0)


def _partner_sorts(partner: str) -> dict[str, tuple[Any, tuple[str, ...]]]:
    """The name and date orders both relationships lists offer (`partner`: the other side)."""
    return {
        "name": (_l("Name (A to Z)"), (f"{partner}__legal_name",)),
        "-name": (_l("Name (Z to A)"), (f"-{partner}__legal_name",)),
        "-since": (_l("Newest first"), ("-authorized_at", "-pk")),
        "since": (_l("Oldest first"), ("authorized_at",)),
    }


# What both relationships lists export after the partner's name (and country).
RELATIONSHIP_COLUMNS = [
    Column(_l("Status"), "status", status_text, repeats=True),
    Column(_l("Admin access"), "admin_access", yes_no, repeats=True),
    Column(_l("Shared customers"), "customer_count", computed=True),
    Column(_l("Authorized on"), "authorized_at", iso_date),
    Column(_l("Ended on"), "ended_at", iso_date),
]


def _relationship_values(row: Any) -> dict[str, Any]:
    """A provider relationship's own columns from a list row (both sides' lists read them)."""
    return {
        "pk": row.pk,
        "status": row.status,
        "admin_access": row.admin_access,
        "authorized_at": row.authorized_at,
        "ended_at": row.ended_at,
    }


class IndirectResellersView(TenantViewMixin, SharedCustomerCounts, ListPage, View):
    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.PROVIDER}
    template_name = "relationships/indirect_resellers.html"
    search_relations = ("reseller",)
    # The reseller's name and domain as copied onto the provider's rows (migration 0011).
    search_columns = ("reseller_name", "reseller_domain")
    sort_options = {
        **_partner_sorts("reseller"),
        # Active first, newest first within each status: read from the index
        # (provider, status, authorized_at) without sorting every relationship.
        "status": (_l("Active first"), ("status", "-authorized_at", "-pk")),
    }
    default_sort = "status"
    index_order = ("status", "-authorized_at", "-pk")
    export_kind = "indirect_resellers"
    csv_columns = [
        Column(_l("Reseller"), "reseller__legal_name"),
        Column(_l("Country"), "reseller__country_id", country_name, repeats=True),
        *RELATIONSHIP_COLUMNS,
    ]
    partner = "reseller"
    csv_extra_fields = ("reseller_id",)
    # What `{% reseller_rows %}` reads (`ListPage.memo_page`, `search_memo_page`).
    memo_search = True
    memo_fields = (
        "pk",
        "status",
        "admin_access",
        "authorized_at",
        "ended_at",
        "reseller_id",
        "reseller__legal_name",
        "reseller__country_id",
        "reseller__country__name",
    )

    def base_queryset(self):
        return selectors.resellers_of_provider(provider=self.organization)

    def memo_row(self, row: Any) -> SimpleNamespace:
        code = row.reseller__country_id
        return SimpleNamespace(
            **_relationship_values(row),
            reseller_id=row.reseller_id,
            reseller=SimpleNamespace(
                legal_name=row.reseller__legal_name,
                # As `Market.__str__` names it.
                country=country_name(code, row.reseller__country__name) if code else None,
            ),
        )

    def get(
        self, request: HttpRequest, export: bool = False, form=None
    ) -> HttpResponse | StreamingHttpResponse:
        can_invite = can(self.membership, Action.INVITE_RESELLER)
        pending: BoundedPage | list[ResellerInvitation] = []
        if can_invite and not self.wants_csv():
            now = timezone.now()
            pending = memo_uncounted_page(
                ("relationships.pending_reseller_invitations", self.organization.pk),
                lambda: selectors.pending_reseller_invitations(provider=self.organization),
                request.GET.get("pending_page"),
                fields=("pk", "email", "partner_id", "last_sent_at", "expires_at"),
                per_page=PENDING_PER_PAGE,
                # What `{% pending_invitation_rows %}` reads; every row is pending, so
                # `is_expired` is its expiry passed.
                row=lambda row: SimpleNamespace(**row._asdict(), is_expired=row.expires_at <= now),
            )
        return self.render_list(
            request,
            events=selectors.recent_changes_for(
                organization=self.organization, invitation_kind=ResellerInvitation.KIND
            ),
            can_invite=can_invite,
            regions=(
                selectors.provider_region_names(provider=self.organization) if can_invite else []
            ),
            form=form or ResellerInviteForm(),
            pending=pending,
        )


class SentResellerInvitationsView(TenantViewMixin, View):
    """/indirect-resellers/invitations/: every invitation the provider sent, whatever became of
    it (revoked and expired included), and their Recent changes."""

    required_action = Action.INVITE_RESELLER
    organization_kinds = {Kind.PROVIDER}

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "relationships/sent_invitations.html",
            {
                "history": bounded_page(
                    selectors.sent_reseller_invitations(provider=self.organization),
                    request.GET.get("history_page"),
                    per_page=PENDING_PER_PAGE,
                    counted=False,
                ),
                "events": selectors.invitation_events_for(
                    organization=self.organization, kind=ResellerInvitation.KIND
                ),
            },
        )


class ResellerInviteView(TenantViewMixin, View):
    required_action = Action.INVITE_RESELLER
    organization_kinds = {Kind.PROVIDER}

    def post(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        form = ResellerInviteForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation = create_once(
                    membership=self.membership,
                    purpose="relationships.reseller_invitation",
                    key=data[FORM_TOKEN],
                    create=lambda: invitation_services.reseller_invitation_create(
                        actor=self.membership.user,
                        organization=self.organization,
                        email=data["email"],
                        partner_id=data["partner_id"],
                        language=data["language"] or get_language(),
                    ),
                    result_url=lambda _sent: reverse("relationships:indirect_resellers"),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if isinstance(invitation, Repeat):
                    return invitation.response(
                        request,
                        _("This invitation was already sent; it is in your pending invitations."),
                    )
                messages.success(
                    request,
                    _(
                        "Invitation sent to %(email)s. The link expires on %(date)s. If that "
                        "company can't work with you (for example, it is in a CSP region where "
                        "you're not authorized), it won't be able to accept, and the invitation "
                        "stays in your pending invitations."
                    )
                    % {"email": invitation.email, "date": date_text(invitation.expires_at)},
                )
                return redirect("relationships:indirect_resellers")
        view = IndirectResellersView()
        view.setup(request)
        view.membership = self.membership
        view.organization = self.organization
        response = view.get(request, form=form)
        response.status_code = 400
        return response


class InvitationActionView(TenantViewMixin, View):
    """Resend or revoke one of the organization's own invitations from the page that lists
    them. Revoking cannot be undone: its GET asks first, and so does a POST without the
    confirmation (portal/confirm.py). Another tenant's invitation and an unknown action are a
    404."""

    model: type[ResellerInvitation] | type[CustomerInvitation]
    services: dict[str, Callable[..., ResellerInvitation | CustomerInvitation]]
    redirect_to: str
    list_title: Any  # the breadcrumb back to that page

    def confirm_revoke(self, request: HttpRequest, pk: int) -> HttpResponse:
        invitation = self.tenant_get(self.model, pk=pk)
        back = reverse(self.redirect_to)
        return confirm_page(
            request,
            Confirmation(
                title=_("Revoke invitation"),
                question=_("Revoke the invitation to %(email)s?") % {"email": invitation.email},
                explanation=[
                    _(
                        "Its link stops working at once: nobody can accept it any more. This "
                        "cannot be undone; to invite %(email)s again, send a new invitation."
                    )
                    % {"email": invitation.email},
                ],
                confirm_label=_("Yes, revoke the invitation"),
                keep_label=_("Keep the invitation"),
                back=back,
                breadcrumb=[(self.list_title, back)],
            ),
        )

    def get(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action != "revoke":
            raise Http404
        return self.confirm_revoke(request, pk)

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        service = self.services.get(action)
        if service is None:
            raise Http404
        if action == "revoke" and not confirmed(request):
            return self.confirm_revoke(request, pk)
        try:
            invitation = service(
                actor=request.user, organization=self.organization, invitation_id=pk
            )
        except self.model.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            if action == "resend":
                messages.success(
                    request,
                    _("Invitation sent again to %(email)s. The link expires on %(date)s.")
                    % {"email": invitation.email, "date": date_text(invitation.expires_at)},
                )
            else:
                messages.success(
                    request,
                    _("Invitation to %(email)s revoked; its link no longer works.")
                    % {"email": invitation.email},
                )
        return redirect(self.redirect_to)


class ResellerInvitationActionView(InvitationActionView):
    required_action = Action.INVITE_RESELLER
    organization_kinds = {Kind.PROVIDER}
    model = ResellerInvitation
    services = {
        "resend": invitation_services.reseller_invitation_resend,
        "revoke": invitation_services.reseller_invitation_revoke,
    }
    redirect_to = "relationships:indirect_resellers"
    list_title = _l("Indirect resellers")


class RelationshipActionView(TenantViewMixin, View):
    """A change to a provider relationship, on the URL of the side that makes it: each side
    acts only through its own list's URLs (`/indirect-resellers/<id>/...` the provider's,
    `/indirect-providers/<id>/...` the reseller's), and the other side's URL is a 404 for it,
    whatever the action, before any role is asked."""

    required_action = Action.VIEW_RELATIONSHIPS
    # The side this URL belongs to, its actions and the role each action needs there.
    side: str
    actions: dict[str, Action]
    list_url: str

    def _action(self, action: str) -> Action:
        if action not in self.actions:
            raise Http404
        return self.actions[action]

    @property
    def is_provider(self) -> bool:
        return self.side == Kind.PROVIDER

    def get(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """The confirmation page: what the change means, and the button that makes it."""
        required = self._action(action)
        relationship = self.tenant_get(
            ProviderRelationship,
            field="provider" if self.is_provider else "reseller",
            pk=pk,
            status=ProviderRelationship.Status.ACTIVE,
        )
        if not can(self.membership, required):
            raise PermissionDenied
        return render(
            request,
            "relationships/relationship_confirm.html",
            {
                "relationship": relationship,
                "action": action,
                "is_provider": self.is_provider,
                "back": reverse(self.list_url),
            },
        )

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        self._action(action)
        if not confirmed(request):
            return self.get(request, pk, action)
        service = (
            relationship_services.relationship_end
            if action == "end"
            else relationship_services.relationship_admin_access_remove
        )
        try:
            relationship = service(
                actor=self.membership.user, organization=self.organization, relationship_id=pk
            )
        except ProviderRelationship.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            other = relationship.reseller if self.is_provider else relationship.provider
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
        return redirect(self.list_url)


class ProviderRelationshipActionView(RelationshipActionView):
    """/indirect-resellers/<id>/end/: the provider removes the partnership."""

    organization_kinds = {Kind.PROVIDER}
    side = Kind.PROVIDER
    actions = {"end": Action.INVITE_RESELLER}
    list_url = "relationships:indirect_resellers"


class ResellerRelationshipActionView(RelationshipActionView):
    """/indirect-providers/<id>/remove-admin-access/ and /indirect-providers/<id>/end/: the
    reseller removes its provider's admin access, or ends the relationship."""

    organization_kinds = {Kind.RESELLER}
    side = Kind.RESELLER
    actions = {"end": Action.AUTHORIZE_PROVIDER, "remove-admin-access": Action.AUTHORIZE_PROVIDER}
    list_url = "relationships:indirect_providers"


# Indirect providers (reseller) -------------------------------------------------------------


_RELATIONSHIP_STATUSES = dict(ProviderRelationship.Status.choices)


class _ProviderRow(SimpleNamespace):
    """A row of a reseller's Indirect providers page read as plain values."""

    def get_status_display(self) -> str:
        return str(_RELATIONSHIP_STATUSES.get(self.status, self.status))


class IndirectProvidersView(TenantViewMixin, SharedCustomerCounts, ListPage, View):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.RESELLER}
    template_name = "relationships/indirect_providers.html"
    search_relations = ("provider",)
    sort_options = {
        "status": (_l("Active first"), ("status", "provider__legal_name")),
        **_partner_sorts("provider"),
    }
    default_sort = "status"
    export_kind = "indirect_providers"
    csv_columns = [
        Column(_l("Provider"), "provider__legal_name"),
        *RELATIONSHIP_COLUMNS,
    ]
    partner = "provider"
    csv_extra_fields = ("provider_id",)
    # What indirect_providers.html reads of a row (`ListPage.memo_page`).
    memo_fields = (
        "pk",
        "status",
        "admin_access",
        "authorized_at",
        "ended_at",
        "provider_id",
        "provider__legal_name",
        "provider__provider_profile__pk",
        "provider__provider_profile__contact_email",
    )

    def base_queryset(self):
        return selectors.providers_of_reseller(reseller=self.organization)

    def memo_row(self, row: Any) -> _ProviderRow:
        profile = None
        if row.provider__provider_profile__pk is not None:
            profile = SimpleNamespace(contact_email=row.provider__provider_profile__contact_email)
        return _ProviderRow(
            **_relationship_values(row),
            provider_id=row.provider_id,
            provider=SimpleNamespace(legal_name=row.provider__legal_name, provider_profile=profile),
        )

    def get(
        self, request: HttpRequest, export: bool = False
    ) -> HttpResponse | StreamingHttpResponse:
        return self.render_list(
            request,
            events=selectors.recent_changes_for(
                organization=self.organization, invitation_kind=ResellerInvitation.KIND
            ),
            can_manage=can(self.membership, Action.AUTHORIZE_PROVIDER),
            can_invite=can(self.membership, Action.INVITE_CUSTOMER),
            inbox=[] if self.wants_csv() else inbox_page(request, self.organization),
        )


class CustomerInviteView(TenantViewMixin, View):
    required_action = Action.INVITE_CUSTOMER
    organization_kinds = {Kind.RESELLER}

    def _render(self, request: HttpRequest, form, status: int = 200) -> HttpResponse:
        return render(
            request,
            "relationships/invite_customer.html",
            {
                "form": form,
                "pending": bounded_page(
                    selectors.pending_customer_invitations(reseller=self.organization),
                    request.GET.get("pending_page"),
                    per_page=PENDING_PER_PAGE,
                    counted=False,
                ),
                "history": bounded_page(
                    selectors.sent_customer_invitations(reseller=self.organization),
                    request.GET.get("history_page"),
                    per_page=PENDING_PER_PAGE,
                    counted=False,
                ),
                "events": selectors.invitation_events_for(
                    organization=self.organization, kind=CustomerInvitation.KIND
                ),
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
            data = form.cleaned_data
            try:
                invitation = create_once(
                    membership=self.membership,
                    purpose="relationships.customer_invitation",
                    key=data[FORM_TOKEN],
                    create=lambda: customer_services.customer_invitation_create(
                        actor=self.membership.user,
                        organization=self.organization,
                        provider_id=data["provider"].pk,
                        email=data["email"],
                        company_name=data["company_name"],
                        language=data["language"] or get_language(),
                        include_admin_access=data["include_admin_access"],
                    ),
                    result_url=lambda _sent: reverse("relationships:invite_customer"),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if isinstance(invitation, Repeat):
                    return invitation.response(
                        request,
                        _("This invitation was already sent; it is in your pending invitations."),
                    )
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
                if invitation.addressee_note:  # the address is a customer's user's
                    messages.info(request, invitation.addressee_note)
                return redirect("relationships:invite_customer")
        return self._render(request, form, status=400)


class CustomerInvitationActionView(InvitationActionView):
    required_action = Action.INVITE_CUSTOMER
    organization_kinds = {Kind.RESELLER}
    model = CustomerInvitation
    services = {
        "resend": customer_services.customer_invitation_resend,
        "revoke": customer_services.customer_invitation_revoke,
    }
    redirect_to = "relationships:invite_customer"
    list_title = _l("Invite new customers")
