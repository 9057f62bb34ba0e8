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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

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
            try:
                relationship = services.gdap_request(
                    actor=self.membership.user,
                    organization=self.organization,
                    customer_id=customer_id,
                    name=form.cleaned_data["name"],
                    roles=form.cleaned_data["roles"],
                    duration_days=form.cleaned_data["duration_days"],
                    auto_extend=form.cleaned_data["auto_extend"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
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


class GdapPartnerEndView(TenantViewMixin, View):
    """The partner ends its active roles (or withdraws its pending request) early."""

    required_action = Action.MANAGE_DELEGATED_ACCESS
    organization_kinds = {Organization.Kind.RESELLER, Organization.Kind.PROVIDER}

    def post(self, request: HttpRequest, customer_id: int, pk: int) -> HttpResponse:
        rows = customer_rows(organization=self.organization, customer_id=customer_id)
        if (
            not rows
            or not selectors.gdap_for_customer_of_partner(
                partner=self.organization, customer=rows[0].customer
            )
            .filter(pk=pk)
            .exists()
        ):
            raise Http404
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


class GdapCustomerActionView(TenantViewMixin, View):
    """The customer's Global admin approves, declines or ends from Partner relationships."""

    required_action = Action.MANAGE_PARTNER_ACCESS
    organization_kinds = {Organization.Kind.CUSTOMER}
    actions = {
        "approve": (services.gdap_approve, gettext_lazy("Approved: %(name)s of %(partner)s.")),
        "decline": (services.gdap_decline, gettext_lazy("Declined: %(name)s of %(partner)s.")),
        "end": (services.gdap_end, gettext_lazy("Ended: %(name)s of %(partner)s.")),
    }

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in self.actions:
            raise Http404
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
