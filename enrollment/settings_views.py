"""Account settings pages: Legal info, Identifiers, Partner profile, User management.

Thin views over enrolment's services and selectors; every lookup goes through the tenant.
Mounted by portal/urls.py (`include("enrollment.settings_urls")`), listed in the Account
settings menu through the navigation registry (EnrollmentConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.confirm import confirmed
from portal.form_tokens import FIELD as FORM_TOKEN
from portal.form_tokens import Repeat, create_once
from portal.models import Membership
from portal.policy import Action, can, privileged_change_refusal
from portal.selectors import market_get
from portal.tenancy import TenantViewMixin
from portal.types import AuthenticatedHttpRequest

from .forms import (
    LegacyLinkForm,
    LegalInfoContactsForm,
    LegalInfoEditForm,
    MemberAddForm,
    MemberRolesForm,
    PartnerIdForm,
)
from .models import LegalProfile, PartnerId
from .selectors import (
    agreement_acceptance_current,
    agreement_current_version,
    legal_profile_for,
    member_list,
    partner_id_associated,
    partner_id_list,
    program_status,
)
from .services import (
    PARTNER_ROLES,
    legacy_account_link,
    legal_profile_update,
    member_add,
    member_password_reset,
    membership_remove,
    membership_roles_update,
    partner_id_add,
    partner_id_associate,
)

PAGE_SIZE = 25


def _apply_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class LegalInfoView(TenantViewMixin, View):
    required_action = Action.VIEW_LEGAL_INFO
    template_name = "enrollment/settings/legal.html"

    def _profile(self) -> LegalProfile | None:
        return legal_profile_for(organization=self.organization)

    def _forms(self, profile: LegalProfile, data=None) -> tuple[Form, Form]:
        address = LegalInfoEditForm(
            data,
            initial={f: getattr(profile, f) for f in LegalInfoEditForm.base_fields},
            country=profile.country,
        )
        contacts = LegalInfoContactsForm(
            data,
            initial={f: getattr(profile, f) for f in LegalInfoContactsForm.base_fields},
            organization_domain=self.organization.primary_domain,
            country=profile.country,
        )
        return address, contacts

    def _render(self, profile, forms=None) -> HttpResponse:
        can_edit = can(self.membership, Action.EDIT_LEGAL_INFO)
        context: dict[str, Any] = {"profile": profile, "can_edit": can_edit}
        if forms:
            context["address_form"], context["contacts_form"] = forms
        return render(self.request, self.template_name, context)

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        profile = self._profile()
        if (
            profile is not None
            and request.GET.get("edit")
            and can(self.membership, Action.EDIT_LEGAL_INFO)
        ):
            return self._render(profile, self._forms(profile))
        return self._render(profile, None)

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        if not can(self.membership, Action.EDIT_LEGAL_INFO):
            raise PermissionDenied
        profile = self._profile()
        if profile is None:
            return redirect("account_settings:legal")
        forms = self._forms(profile, request.POST)
        if all(form.is_valid() for form in forms):
            changes = {**forms[0].cleaned_data, **forms[1].cleaned_data}
            try:
                changed = legal_profile_update(profile=profile, actor=request.user, changes=changes)
            except ValidationError as exc:
                contacts = {
                    name: errors
                    for name, errors in getattr(exc, "error_dict", {}).items()
                    if name in forms[1].fields
                }
                if contacts:
                    _apply_errors(forms[1], ValidationError(contacts))
                else:
                    _apply_errors(forms[0], exc)
            else:
                if changed:
                    messages.success(
                        request,
                        _(
                            "Legal info updated. The verification team checks the changes; "
                            "follow it on the Verification page."
                        ),
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("account_settings:legal")
        return self._render(profile, forms)


class IdentifiersView(TenantViewMixin, View):
    required_action = Action.MANAGE_IDENTIFIERS
    template_name = "enrollment/settings/identifiers.html"

    def render_page(self, *, add_form=None, legacy_form=None, status: int = 200) -> HttpResponse:
        page = Paginator(partner_id_list(organization=self.organization), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        context = {
            "page": page,
            "add_form": add_form or PartnerIdForm(),
            "legacy_form": legacy_form or LegacyLinkForm(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return self.render_page()

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = PartnerIdForm(request.POST)
        if form.is_valid():
            try:
                partner_id = partner_id_add(
                    organization=self.organization,
                    actor=request.user,
                    mpn_id=form.cleaned_data["mpn_id"],
                    kind=form.cleaned_data["kind"],
                    location_name=form.cleaned_data["location_name"],
                    country=market_get(code=form.cleaned_data["country"]),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request, _("PartnerID %(mpn_id)s added.") % {"mpn_id": partner_id.mpn_id}
                )
                return redirect("account_settings:identifiers")
        return self.render_page(add_form=form)


class PartnerIdAssociateView(TenantViewMixin, View):
    required_action = Action.MANAGE_IDENTIFIERS

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        partner_id = self.tenant_get(PartnerId, pk=pk)
        try:
            partner_id_associate(partner_id=partner_id, actor=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _("PartnerID %(mpn_id)s is now associated with your CSP account.")
                % {"mpn_id": partner_id.mpn_id},
            )
        return redirect("account_settings:identifiers")


class LegacyLinkView(IdentifiersView):
    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return redirect("account_settings:identifiers")

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = LegacyLinkForm(request.POST)
        if form.is_valid():
            try:
                account = legacy_account_link(
                    organization=self.organization,
                    actor=request.user,
                    sign_in_name=form.cleaned_data["sign_in_name"],
                    password=form.cleaned_data["password"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Membership account linked: PartnerID %(mpn_id)s is now in Identifiers.")
                    % {"mpn_id": account.mpn_id},
                )
                return redirect("account_settings:identifiers")
        return self.render_page(legacy_form=form)


class PartnerProfileView(TenantViewMixin, View):
    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)
    required_action = Action.VIEW_LEGAL_INFO

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        version = agreement_current_version()
        acceptance = agreement_acceptance_current(organization=self.organization, version=version)
        associated = partner_id_associated(organization=self.organization)
        context = {
            "organization": self.organization,
            "version": version,
            "acceptance": acceptance,
            "program_status": program_status(
                organization=self.organization, agreement_ok=acceptance is not None
            ),
            "region": self.organization.country.region if self.organization.country else None,
            "associated": associated,
        }
        return render(request, "enrollment/settings/partner_profile.html", context)


class UserListView(TenantViewMixin, View):
    """Seen by whoever may view users (a partner's Helpdesk administrator too); adding,
    changing and resetting passwords each follow their own action."""

    required_action = Action.VIEW_USERS

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        page = Paginator(member_list(organization=self.organization), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        can_reset = can(self.membership, Action.RESET_USER_PASSWORD)
        # A Global admin's password: only the organization's own Global admins reset it, and
        # no privileged member's by a partner acting on its behalf (member_password_reset
        # refuses the others; the button follows the same rules).
        resets_admins = self.membership.global_admin
        resettable = {
            member.pk
            for member in page.object_list
            if can_reset
            and (resets_admins or not member.global_admin)
            and privileged_change_refusal(
                self.membership, roles_before=member.roles, roles_after=member.roles
            )
            is None
        }
        return render(
            request,
            "enrollment/settings/users.html",
            {
                "page": page,
                "can_manage": can(self.membership, Action.MANAGE_USERS),
                "can_reset": can_reset,
                "resettable": resettable,
            },
        )


class UserPasswordResetView(TenantViewMixin, View):
    required_action = Action.RESET_USER_PASSWORD

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        membership = self.tenant_get(Membership, pk=pk)
        try:
            member_password_reset(
                actor=request.user, organization=self.organization, membership_id=membership.pk
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("A password reset link was sent to %(email)s.")
                % {"email": membership.user.email},
            )
        return redirect("account_settings:users")


class UserAddView(TenantViewMixin, View):
    required_action = Action.MANAGE_USERS
    template_name = "enrollment/settings/user_add.html"

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": MemberAddForm()})

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = MemberAddForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = create_once(
                    membership=self.membership,
                    purpose="enrollment.member_add",
                    key=data[FORM_TOKEN],
                    create=lambda: member_add(
                        organization=self.organization,
                        actor=request.user,
                        email=data["email"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        roles=set(data["roles"]),
                    ),
                    result_url=lambda _added: reverse("account_settings:users"),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                if isinstance(membership, Repeat):
                    return membership.response(
                        request, _("This user was already added; here is the list of users.")
                    )
                messages.success(
                    request,
                    _("%(email)s was added and has been sent an invitation email.")
                    % {"email": membership.user.email},
                )
                return redirect("account_settings:users")
        return render(request, self.template_name, {"form": form})


class UserDetailView(TenantViewMixin, View):
    required_action = Action.MANAGE_USERS
    template_name = "enrollment/settings/user_detail.html"

    def _membership(self, pk: int) -> Membership:
        return self.tenant_get(Membership, pk=pk)

    def _render(self, membership: Membership, form: Form) -> HttpResponse:
        return render(self.request, self.template_name, {"member": membership, "form": form})

    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        membership = self._membership(pk)
        initial = {"roles": [r.value for r in PARTNER_ROLES if getattr(membership, r.value)]}
        return self._render(membership, MemberRolesForm(initial=initial))

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        membership = self._membership(pk)
        form = MemberRolesForm(request.POST)
        if form.is_valid():
            try:
                membership_roles_update(
                    membership=membership, actor=request.user, roles=set(form.cleaned_data["roles"])
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Roles of %(name)s updated.") % {"name": membership.user.get_full_name()},
                )
                return redirect("account_settings:user_detail", pk=membership.pk)
        return self._render(membership, form)


class UserRemoveView(TenantViewMixin, View):
    required_action = Action.MANAGE_USERS

    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        membership = self.tenant_get(Membership, pk=pk)
        return render(request, "enrollment/settings/user_remove.html", {"member": membership})

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        membership = self.tenant_get(Membership, pk=pk)
        if not confirmed(request):  # only the confirm page's button removes (portal/confirm.py)
            return self.get(request, pk)
        name = membership.user.get_full_name()
        try:
            membership_remove(membership=membership, actor=request.user)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("account_settings:user_detail", pk=membership.pk)
        messages.success(
            request, _("%(name)s was removed from your organization.") % {"name": name}
        )
        if membership.user_id == request.user.id:
            return redirect("portal:home")
        return redirect("account_settings:users")
