"""Resolving the requesting tenant and querying tenant data through it.

A view never calls ``Model.objects.get()`` on tenant data: it uses `TenantViewMixin` and
`tenant_queryset` / `tenant_object_or_404`, so another tenant's row is a plain 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from .delegation import ACTING_FOR_SESSION_KEY, delegated_membership
from .models import Membership, Organization
from .policy import RULES, Action, can
from .types import request_is_authenticated

SESSION_KEY = "portal_organization_id"


def membership_for_request(request: HttpRequest) -> Membership | None:
    """The signed-in user's active membership: a delegated one while the user administers a
    customer on its behalf (and still may), else the one chosen in the session, else the first.
    Delegated access that ended since the last request drops the choice and says so."""
    user = request.user
    if not user.is_authenticated:
        return None
    acting_for = request.session.get(ACTING_FOR_SESSION_KEY)
    if acting_for:
        customer = Organization.objects.select_related("country").filter(pk=acting_for).first()
        delegated = delegated_membership(user, customer)
        if delegated is not None:
            return delegated
        del request.session[ACTING_FOR_SESSION_KEY]
        messages.warning(
            request,
            _("Your delegated admin access to that customer has ended or was removed."),
        )
    memberships = Membership.objects.select_related("organization", "organization__country")
    chosen = request.session.get(SESSION_KEY)
    membership = None
    if chosen:
        membership = memberships.filter(user=user, organization_id=chosen).first()
    if membership is None:
        membership = memberships.filter(user=user).first()
    if membership is not None:
        # The request already holds the user: `membership.user` costs no second look-up.
        membership.user = user
    return membership


def tenant_queryset[M: Model](
    model: type[M], organization: Organization, field: str = "organization"
) -> QuerySet[M]:
    return model._default_manager.filter(**{field: organization})


def tenant_object_or_404[M: Model](
    model: type[M], organization: Organization | None, field: str = "organization", **lookup: Any
) -> M:
    if organization is None:
        raise Http404
    return get_object_or_404(tenant_queryset(model, organization, field), **lookup)


class TenantViewMixin(LoginRequiredMixin):
    """Signed in, member of an organization, and allowed `required_action` there.

    A user without a role for the action gets 403 on their own tenant's pages; objects of
    other tenants never get that far (they are filtered out: 404). A page that exists only for
    some organization kinds (`organization_kinds`) is a 404 for the others."""

    required_action: Action = Action.VIEW_DASHBOARD
    organization_kinds: set[str] | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request_is_authenticated(request):
            return self.handle_no_permission()
        membership = request.membership
        if membership is None:
            return redirect("portal:no_organization")
        self.membership: Membership = membership
        self.organization: Organization = self.membership.organization
        kinds, _roles = RULES[self.required_action]
        if self.organization_kinds is not None:
            kinds = kinds & self.organization_kinds  # a page that exists for fewer kinds
        if self.organization.kind not in kinds:
            raise Http404
        if not can(self.membership, self.required_action):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def tenant_qs[M: Model](self, model: type[M], field: str = "organization") -> QuerySet[M]:
        return tenant_queryset(model, self.organization, field)

    def tenant_get[M: Model](self, model: type[M], field: str = "organization", **lookup: Any) -> M:
        return tenant_object_or_404(model, self.organization, field, **lookup)
