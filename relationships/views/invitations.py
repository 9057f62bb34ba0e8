"""/invitations/<key>/: GET shows what accepting means; only POST acts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from portal.confirm import confirmed
from portal.models import Membership
from portal.types import AuthenticatedHttpRequest, request_is_authenticated

from .. import selectors
from ..errors import InvitationUnavailable
from ..forms import (
    AcceptCustomerInvitationForm,
    AuthorizeProviderForm,
    CustomerOrganizationForm,
)
from ..models import CustomerInvitation, ResellerInvitation
from ..services import customers as customer_services
from ..services import reseller_invitations as invitation_services
from ._base import error_text
from .inbox import confirm_decline


class InvitationView(LoginRequiredMixin, View):
    """/invitations/<key>/: GET shows what accepting means; only POST acts."""

    invitation: ResellerInvitation | CustomerInvitation
    membership: Membership | None

    @property
    def organization(self):
        return self.membership.organization if self.membership else None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        invitation = selectors.invitation_by_key(kwargs["key"])
        self.membership = getattr(request, "membership", None)
        if invitation is None:
            return render(
                request,
                "relationships/invitation_unavailable.html",
                {"reason": "invalid"},
                status=404,
            )
        if not request_is_authenticated(request):
            return self.signed_out(request, invitation)
        self.invitation = invitation
        return super().dispatch(request, *args, **kwargs)

    def signed_out(
        self, request: HttpRequest, invitation: ResellerInvitation | CustomerInvitation
    ) -> HttpResponse:
        """Says which invitation this is and who sent it, with ways in that come back here."""
        if invitation.effective_status != "pending":
            status = invitation.effective_status
            return render(
                request,
                "relationships/invitation_unavailable.html",
                {"reason": status, "invitation": invitation},
                status=200 if status == "accepted" else 410,
            )
        back = urlencode({"next": request.path})
        return render(
            request,
            "relationships/invitation_signin.html",
            {
                "invitation": invitation,
                "for_reseller": isinstance(invitation, ResellerInvitation),
                "sender": invitation.organization,
                "provider": getattr(invitation, "provider", None),
                "login_url": f"{reverse('account_login')}?{back}",
                "signup_url": f"{reverse('account_signup')}?{back}",
            },
        )

    def unavailable(
        self, request: AuthenticatedHttpRequest, exc: InvitationUnavailable
    ) -> HttpResponse:
        return render(
            request,
            "relationships/invitation_unavailable.html",
            {"reason": exc.reason, "invitation": exc.invitation},
            status=200 if exc.reason == "accepted" else 410,
        )

    def get(self, request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
        invitation = self.invitation
        if invitation.effective_status != "pending":
            return self.unavailable(
                request, InvitationUnavailable(invitation.effective_status, invitation)
            )
        if isinstance(invitation, ResellerInvitation):
            return self.render_reseller(request, invitation, AuthorizeProviderForm())
        return self.render_customer(request, invitation)

    def post(self, request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
        action = request.POST.get("action", "")
        invitation = self.invitation
        if (
            action == "decline"
            and not confirmed(request)
            and invitation.effective_status == "pending"
        ):
            # Declining cannot be undone: the button on this page asks first.
            return confirm_decline(
                request,
                invitation,
                back=request.path,
                hidden={"action": "decline"},
            )
        try:
            if isinstance(invitation, ResellerInvitation):
                return self.post_reseller(request, invitation, action)
            return self.post_customer(request, invitation, action)
        except InvitationUnavailable as exc:
            return self.unavailable(request, exc)

    # provider → reseller

    def render_reseller(
        self,
        request: AuthenticatedHttpRequest,
        invitation: ResellerInvitation,
        form: AuthorizeProviderForm,
        refusal: str | None = None,
        status: int = 200,
    ) -> HttpResponse:
        provider = invitation.organization
        if refusal is None:
            refusal = invitation_services.reseller_authorization_refusal(
                membership=self.membership, provider=provider, invited_email=invitation.email
            )
        return render(
            request,
            "relationships/invitation_reseller.html",
            {
                "invitation": invitation,
                "provider": provider,
                "reseller": self.membership.organization if self.membership else None,
                "form": form,
                "refusal": refusal,
            },
            status=status,
        )

    def post_reseller(
        self, request: AuthenticatedHttpRequest, invitation: ResellerInvitation, action: str
    ) -> HttpResponse:
        if action == "decline":
            try:
                invitation_services.reseller_invitation_decline(
                    actor=request.user, organization=self.organization, invitation_id=invitation.pk
                )
            except ValidationError as exc:
                return self.render_reseller(
                    request,
                    invitation,
                    AuthorizeProviderForm(),
                    refusal=error_text(exc),
                    status=403,
                )
            messages.success(
                request,
                _("You declined the invitation from %(provider)s.")
                % {"provider": invitation.organization.legal_name},
            )
            return redirect("portal:dashboard")
        form = AuthorizeProviderForm(request.POST)
        if not form.is_valid():
            # A used or withdrawn link says so even when the box was not ticked.
            invitation.refresh_from_db()
            if invitation.effective_status != "pending":
                raise InvitationUnavailable(invitation.effective_status, invitation)
            return self.render_reseller(request, invitation, form, status=400)
        try:
            relationship = invitation_services.reseller_invitation_accept(
                actor=request.user, organization=self.organization, invitation_id=invitation.pk
            )
        except ValidationError as exc:
            return self.render_reseller(
                request, invitation, AuthorizeProviderForm(), refusal=error_text(exc), status=403
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

    def render_customer(
        self,
        request: AuthenticatedHttpRequest,
        invitation: CustomerInvitation,
        form: AcceptCustomerInvitationForm | None = None,
        org_form: CustomerOrganizationForm | None = None,
        refusal: str | None = None,
        status: int = 200,
    ) -> HttpResponse:
        needs_organization = self.membership is None
        if needs_organization and org_form is None:
            org_form = CustomerOrganizationForm(
                initial={"legal_name": invitation.company_name},
                markets=selectors.markets_for_invitation(invitation=invitation),
            )
        if refusal is None and not needs_organization:
            refusal = customer_services.customer_acceptance_refusal(
                membership=self.membership, invitation=invitation
            )
        return render(
            request,
            "relationships/invitation_customer.html",
            {
                "invitation": invitation,
                "reseller": invitation.organization,
                "provider": invitation.provider,
                "needs_organization": needs_organization,
                "org_form": org_form,
                "form": form
                or AcceptCustomerInvitationForm(offers_gdap=invitation.include_admin_access),
                "refusal": refusal,
            },
            status=status,
        )

    def post_customer(
        self, request: AuthenticatedHttpRequest, invitation: CustomerInvitation, action: str
    ) -> HttpResponse:
        if invitation.effective_status != "pending":
            raise InvitationUnavailable(invitation.effective_status, invitation)
        if action == "create_organization":
            org_form = CustomerOrganizationForm(
                request.POST, markets=selectors.markets_for_invitation(invitation=invitation)
            )
            if self.membership is not None or not org_form.is_valid():
                return self.render_customer(request, invitation, org_form=org_form, status=400)
            try:
                customer_services.customer_organization_create(
                    actor=request.user,
                    invitation=invitation,
                    legal_name=org_form.cleaned_data["legal_name"],
                    country=org_form.cleaned_data["country"],
                )
            except ValidationError as exc:
                org_form.add_error(None, exc)
                return self.render_customer(request, invitation, org_form=org_form, status=400)
            messages.success(request, _("Your company's account is ready."))
            return redirect(request.path)
        if action == "decline":
            try:
                customer_services.customer_invitation_decline(
                    actor=request.user, organization=self.organization, invitation_id=invitation.pk
                )
            except ValidationError as exc:
                messages.error(request, error_text(exc))
                return redirect(request.path)
            messages.success(
                request,
                _("You declined the invitation from %(reseller)s.")
                % {"reseller": invitation.organization.legal_name},
            )
            return redirect("portal:home")
        form = AcceptCustomerInvitationForm(
            request.POST, offers_gdap=invitation.include_admin_access
        )
        if not form.is_valid():
            return self.render_customer(request, invitation, form=form, status=400)
        try:
            customer_services.customer_invitation_accept(
                actor=request.user,
                organization=self.organization,
                invitation_id=invitation.pk,
                approve_gdap=form.cleaned_data.get("approve_gdap", False),
            )
        except ValidationError as exc:
            return self.render_customer(request, invitation, refusal=error_text(exc), status=403)
        messages.success(
            request,
            _("You now work with %(reseller)s and %(provider)s.")
            % {
                "reseller": invitation.organization.legal_name,
                "provider": invitation.provider.legal_name,
            },
        )
        return redirect("portal:dashboard")
