"""Resolving the requesting tenant and querying tenant data through it.

A view never calls ``Model.objects.get()`` on tenant data: it uses `TenantViewMixin` and
`tenant_queryset` / `tenant_object_or_404`, so another tenant's row is a plain 404."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.csrf import rotate_token
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from .delegation import (
    ACTING_FOR_SESSION_KEY,
    ACTING_SEEN_SESSION_KEY,
    IDLE_MINUTES,
    IDLE_TIMEOUT,
    admin_access_ended_message,
    delegated_membership,
)
from .models import Membership, Organization, User
from .operations import note_delegated_session
from .policy import RULES, Action, can
from .request_context import ORGANIZATION_SESSION_KEY, RequestContext, request_context
from .types import request_is_authenticated

logger = logging.getLogger(__name__)

SESSION_KEY = ORGANIZATION_SESSION_KEY
SEEN_EVERY_SECONDS = 60  # how often a delegated request records its time in the session


def delegation_leave(request: HttpRequest) -> None:
    """Leave the customer's account: drop the delegated context from the session and give the
    session a new key (and the forms a new CSRF token), so a cookie or a form of one context
    does not serve the other."""
    acting_for = request.session.pop(ACTING_FOR_SESSION_KEY, None)
    request.session.pop(ACTING_SEEN_SESSION_KEY, None)
    request.session.cycle_key()
    rotate_token(request)
    if acting_for and request.user.is_authenticated:
        _note_delegated(request.user.pk, acting_for, seen=None)


def _note_delegated(user_id: int, customer_id: int, *, seen: float | None) -> None:
    """Keep the operators' count of delegated sessions (portal/operations.py); a cache that
    fails must not fail the request."""
    try:
        note_delegated_session(
            f"{user_id}:{customer_id}", seen=seen, idle_seconds=IDLE_TIMEOUT.total_seconds()
        )
    except Exception:
        logger.debug("could not count a delegated session", exc_info=True)


def delegation_enter(request: HttpRequest, customer: Organization) -> None:
    """Start administering `customer` on its behalf: a new session key and CSRF token, the
    choice and the time of this request in the session."""
    request.session.cycle_key()
    rotate_token(request)
    request.session[ACTING_FOR_SESSION_KEY] = customer.pk
    request.session[ACTING_SEEN_SESSION_KEY] = now = time.time()
    if request.user.is_authenticated:
        _note_delegated(request.user.pk, customer.pk, seen=now)


def _delegated_for_request(
    request: HttpRequest, user: User, acting_for: int, context: RequestContext | None
) -> Membership | None:
    """The delegated membership the session's choice still gives, else None after leaving the
    customer's account and saying why (the access ended, or the context sat idle too long). A
    write made from the customer's account is then refused rather than made in the partner's
    own name: `request.delegation_ended` holds the reason (see `TenantMiddleware`).

    From the request context cache while it holds an answer (portal/request_context.py): every
    change of a grant forgets it, and a GDAP relationship's end date ends it."""
    cached = context.delegated(acting_for) if context is not None else None
    seen = request.session.get(ACTING_SEEN_SESSION_KEY)
    # A context chosen before the time was kept (none recorded) counts from this request.
    idle = seen is not None and time.time() - seen >= IDLE_TIMEOUT.total_seconds()
    delegated: Membership | None = None
    if cached is not None:
        customer = cached["customer"]
        if not idle:
            delegated = cached["membership"]
            delegated.user = user
    else:
        if context is not None:
            context.prepare_miss(delegation=True)
        customer = Organization.objects.select_related("country").filter(pk=acting_for).first()
        delegated = None if idle else delegated_membership(user, customer)
        if delegated is not None and context is not None:
            context.remember_delegated(customer, delegated)
    if delegated is not None:
        # Recorded at most once a minute: a session saved on every request would be a write
        # per page; the idle end is then exact to a minute.
        now = time.time()
        if seen is None or now - seen >= SEEN_EVERY_SECONDS:
            request.session[ACTING_SEEN_SESSION_KEY] = now
            _note_delegated(user.pk, acting_for, seen=now)
        return delegated
    if idle and customer is not None:
        reason = _(
            "You left the account of %(customer)s after %(minutes)d minutes without activity."
        ) % {"customer": customer.legal_name, "minutes": IDLE_MINUTES}
    elif customer is not None:
        reason = admin_access_ended_message(customer)
    else:
        reason = _("Your delegated admin access to that customer has ended or was removed.")
    delegation_leave(request)
    request.delegation_ended = reason  # type: ignore[attr-defined]
    messages.warning(request, reason)
    return None


def membership_for_request(request: HttpRequest) -> Membership | None:
    """The signed-in user's active membership: a delegated one while the user administers a
    customer on its behalf (and still may, and was active there in the last `IDLE_TIMEOUT`),
    else the one chosen in the session, else the first. A delegated context that ended since
    the last request is left, saying so (`_delegated_for_request`)."""
    user = request.user
    if not user.is_authenticated:
        return None
    context = request_context(request)
    acting_for = request.session.get(ACTING_FOR_SESSION_KEY)
    if acting_for:
        delegated = _delegated_for_request(request, user, acting_for, context)
        if delegated is not None:
            return delegated
    known, membership = context.own_membership() if context is not None else (False, None)
    if not known:
        if context is not None:
            context.prepare_miss()
        membership = _own_membership(user, request.session.get(SESSION_KEY))
        if context is not None:
            context.remember(membership=membership)
    if membership is not None:
        # The request already holds the user: `membership.user` costs no second look-up.
        membership.user = user
    return membership


def _own_membership(user: User, chosen: int | None) -> Membership | None:
    memberships = Membership.objects.select_related("organization", "organization__country")
    membership = None
    if chosen:
        membership = memberships.filter(user=user, organization_id=chosen).first()
    if membership is None:
        membership = memberships.filter(user=user).first()
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
