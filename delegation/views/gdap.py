"""GDAP pages: the partner's request form and list for one customer, the customer's answers
(from the Partner relationships page and from the email's link) and either side's End."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal.confirm import Confirmation, confirm_page, confirmed
from portal.form_tokens import FIELD as FORM_TOKEN
from portal.form_tokens import Repeat, create_once
from portal.models import Membership, Organization
from portal.policy import Action, can, membership_of
from portal.templatetags.portal_formats import local_date
from portal.tenancy import TenantViewMixin
from portal.types import request_is_authenticated
from relationships.selectors import customer_rows

from .. import gdap_selectors as selectors
from ..gdap_forms import GdapRequestForm, role_rows
from ..models import GdapRelationship
from ..services import gdap as services


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _apply_errors(form: GdapRequestForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class GdapRequestView(TenantViewMixin, View):
    """/customers/<id>/gdap/new/: the partner asks the customer for roles, and sees its GDAP
    requests and relationships with that customer."""

    required_action = Action.MANAGE_DELEGATED_ACCESS
    organization_kinds = {Organization.Kind.RESELLER, Organization.Kind.PROVIDER}

    def _customer(self, customer_id: int):
        rows = customer_rows(organization=self.organization, customer_id=customer_id)
        if not rows:
            raise Http404
        return rows[0].customer

    def _render(
        self, request: HttpRequest, customer_id: int, form: GdapRequestForm, status: int = 200
    ) -> HttpResponse:
        customer = self._customer(customer_id)
        relationships = list(
            selectors.gdap_for_customer_of_partner(partner=self.organization, customer=customer)[
                :50
            ]
        )
        return render(
            request,
            "delegation/gdap_request.html",
            {
                "customer": customer,
                "form": form,
                "relationships": relationships,
                "ended_statuses": (
                    GdapRelationship.Status.DECLINED,
                    GdapRelationship.Status.EXPIRED,
                    GdapRelationship.Status.ENDED,
                ),
            },
            status=status,
        )

    def get(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        return self._render(request, customer_id, GdapRequestForm())

    def post(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        self._customer(customer_id)
        form = GdapRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                relationship = create_once(
                    membership=self.membership,
                    purpose="delegation.gdap_request",
                    key=data[FORM_TOKEN],
                    create=lambda: services.gdap_request(
                        actor=self.membership.user,
                        organization=self.organization,
                        customer_id=customer_id,
                        name=data["name"],
                        roles=data["roles"],
                        duration_days=data["duration_days"],
                        auto_extend=data["auto_extend"],
                    ),
                    result_url=lambda sent: reverse(
                        "delegation:gdap_request", args=[sent.customer_id]
                    ),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                if isinstance(relationship, Repeat):
                    return relationship.response(
                        request, _("This request was already sent; it is listed on this page.")
                    )
                messages.success(
                    request,
                    _(
                        "Request sent: the Global admins of %(customer)s approve or decline it "
                        "from their email or their Partner relationships page."
                    )
                    % {"customer": relationship.customer.legal_name},
                )
                return redirect("delegation:gdap_request", customer_id=customer_id)
        return self._render(request, customer_id, form, status=400)


def _roles_text(relationship: GdapRelationship) -> str:
    return ", ".join(relationship.role_labels())


def _confirm_customer(
    request: HttpRequest, relationship: GdapRelationship, action: str, *, back: str
) -> HttpResponse:
    """The customer's confirm page before declining a request or ending active roles (from
    Partner relationships or from the email's link)."""
    names = {
        "partner": relationship.partner.legal_name,
        "name": relationship.name,
        "roles": _roles_text(relationship),
    }
    if action == "decline":
        confirmation = Confirmation(
            title=_("Decline admin role request"),
            question=_("Decline the request “%(name)s” of %(partner)s?") % names,
            explanation=[
                _(
                    "%(partner)s does not get these roles in your account: %(roles)s. This "
                    "cannot be undone; %(partner)s can send a new request."
                )
                % names
            ],
            confirm_label=_("Yes, decline the request"),
            keep_label=_("Keep the request"),
            back=back,
            action=request.path,
            hidden={"action": "decline"},
        )
    else:
        confirmation = Confirmation(
            title=_("End admin roles"),
            question=_("End the admin roles “%(name)s” of %(partner)s?") % names,
            explanation=[
                _(
                    "From their next request, the Admin agents of %(partner)s no longer hold "
                    "these roles in your account: %(roles)s. This cannot be undone; only a new "
                    "request that you approve gives them back."
                )
                % names
            ],
            confirm_label=_("Yes, end the roles"),
            keep_label=_("Keep them"),
            back=back,
        )
    confirmation.breadcrumb = [
        (_("Partner relationships"), reverse("delegation:partner_relationships"))
    ]
    return confirm_page(request, confirmation)


class GdapPartnerEndView(TenantViewMixin, View):
    """The partner ends its active roles (or withdraws its pending request) early. It cannot be
    undone: the GET asks first, and so does a POST without the confirmation."""

    required_action = Action.MANAGE_DELEGATED_ACCESS
    organization_kinds = {Organization.Kind.RESELLER, Organization.Kind.PROVIDER}

    def _relationship(self, customer_id: int, pk: int) -> GdapRelationship:
        rows = customer_rows(organization=self.organization, customer_id=customer_id)
        relationship = (
            selectors.gdap_for_customer_of_partner(
                partner=self.organization, customer=rows[0].customer
            )
            .filter(pk=pk)
            .select_related("customer")
            .first()
            if rows
            else None
        )
        if relationship is None:
            raise Http404
        return relationship

    def _confirm(self, request: HttpRequest, relationship: GdapRelationship) -> HttpResponse:
        customer = relationship.customer
        back = reverse("delegation:gdap_request", kwargs={"customer_id": customer.pk})
        names = {
            "customer": customer.legal_name,
            "name": relationship.name,
            "roles": _roles_text(relationship),
        }
        if relationship.status == GdapRelationship.Status.PENDING:
            confirmation = Confirmation(
                title=_("Withdraw admin role request"),
                question=_("Withdraw the request “%(name)s”?") % names,
                explanation=[
                    _(
                        "The Global admins of %(customer)s can no longer approve it. To ask for "
                        "these roles again (%(roles)s), send a new request."
                    )
                    % names
                ],
                confirm_label=_("Yes, withdraw the request"),
                keep_label=_("Keep the request"),
                back=back,
            )
        else:
            confirmation = Confirmation(
                title=_("End admin roles"),
                question=_("End the admin roles “%(name)s” in %(customer)s?") % names,
                explanation=[
                    _(
                        "From their next request, your Admin agents no longer hold these roles "
                        "in the account of %(customer)s: %(roles)s. This cannot be undone; to "
                        "get them back, send a new request that a Global admin of %(customer)s "
                        "approves."
                    )
                    % names
                ],
                confirm_label=_("Yes, end the roles"),
                keep_label=_("Keep them"),
                back=back,
            )
        confirmation.breadcrumb = [
            (customer.legal_name, reverse("relationships:customer_detail", args=[customer.pk])),
            (_("Admin roles (GDAP)"), back),
        ]
        return confirm_page(request, confirmation)

    def get(self, request: HttpRequest, customer_id: int, pk: int) -> HttpResponse:
        relationship = self._relationship(customer_id, pk)
        if relationship.status not in (
            GdapRelationship.Status.PENDING,
            GdapRelationship.Status.ACTIVE,
        ):
            return redirect("delegation:gdap_request", customer_id=customer_id)
        return self._confirm(request, relationship)

    def post(self, request: HttpRequest, customer_id: int, pk: int) -> HttpResponse:
        relationship = self._relationship(customer_id, pk)
        if not confirmed(request):
            return self._confirm(request, relationship)
        try:
            relationship = services.gdap_end(
                actor=self.membership.user, organization=self.organization, relationship_id=pk
            )
        except GdapRelationship.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Ended: %(name)s.") % {"name": relationship.name})
        return redirect("delegation:gdap_request", customer_id=customer_id)


# What the customer cannot take back: its GET asks first (portal/confirm.py).
CONFIRMED_ACTIONS = {"decline", "end"}


class GdapCustomerActionView(TenantViewMixin, View):
    """The customer's Global admin approves, declines or ends from Partner relationships."""

    required_action = Action.MANAGE_PARTNER_ACCESS
    organization_kinds = {Organization.Kind.CUSTOMER}
    actions = {
        "approve": (services.gdap_approve, gettext_lazy("Approved: %(name)s of %(partner)s.")),
        "decline": (services.gdap_decline, gettext_lazy("Declined: %(name)s of %(partner)s.")),
        "end": (services.gdap_end, gettext_lazy("Ended: %(name)s of %(partner)s.")),
    }

    def _confirm(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        relationship = self.tenant_get(GdapRelationship, field="customer", pk=pk)
        return _confirm_customer(
            request, relationship, action, back=reverse("delegation:partner_relationships")
        )

    def get(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """Declining and ending cannot be undone: their confirm page."""
        if action not in CONFIRMED_ACTIONS:
            raise Http404
        return self._confirm(request, pk, action)

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in self.actions:
            raise Http404
        if action in CONFIRMED_ACTIONS and not confirmed(request):
            return self._confirm(request, pk, action)
        service, done = self.actions[action]
        try:
            relationship = service(
                actor=self.membership.user, organization=self.organization, relationship_id=pk
            )
        except GdapRelationship.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(
                request,
                str(done) % {"name": relationship.name, "partner": relationship.partner.legal_name},
            )
        return redirect("delegation:partner_relationships")


class GdapAnswerView(View):
    """/partner-relationships/gdap/<key>/ from the email: a Global admin of the customer sees the
    request and answers it (GET shows, only POST acts). To anyone else the link is unknown,
    whether or not it exists; signed-out people sign in first and come back."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request_is_authenticated(request):
            return redirect_to_login(request.get_full_path())
        relationship = selectors.gdap_by_key(kwargs["key"])
        membership = membership_of(request.user, relationship.customer) if relationship else None
        if (
            relationship is None
            or membership is None
            or membership.is_delegated
            or not can(membership, Action.MANAGE_PARTNER_ACCESS)
        ):
            return render(request, "delegation/gdap_unknown.html", status=404)
        self.relationship = relationship
        self.membership: Membership = membership
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request: HttpRequest, refusal: str | None = None) -> HttpResponse:
        relationship = self.relationship
        refusal = refusal or services.gdap_answer_refusal(relationship)
        return render(
            request,
            "delegation/gdap_answer.html",
            {
                "relationship": relationship,
                "role_rows": role_rows(relationship.roles),
                "refusal": refusal,
            },
            status=410 if refusal else 200,
        )

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        return self._render(request)

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        action = request.POST.get("action", "")
        service = {"approve": services.gdap_approve, "decline": services.gdap_decline}.get(action)
        if service is None:
            return self._render(request)
        if action == "decline" and not confirmed(request):
            if services.gdap_answer_refusal(self.relationship):
                return self._render(request)
            return _confirm_customer(request, self.relationship, action, back=request.path)
        try:
            relationship = service(
                actor=self.membership.user,
                organization=self.relationship.customer,
                relationship_id=self.relationship.pk,
            )
        except ValidationError as exc:
            self.relationship.refresh_from_db()
            return self._render(request, refusal=_error_text(exc))
        if action == "approve":
            text = _("Approved: %(partner)s holds these roles until %(date)s.")
        else:
            text = _("Declined: %(partner)s does not get these roles.")
        messages.success(
            request,
            text
            % {
                "partner": relationship.partner.legal_name,
                "date": local_date(relationship.ends_at) if relationship.ends_at else "",
            },
        )
        return redirect("delegation:partner_relationships")


def gdap_section_context(organization) -> dict[str, Any]:
    """What `delegation/_gdap_section.html` needs on the customer's Partner relationships page."""
    return {"gdap": selectors.gdap_open_for_customer(customer=organization)}
