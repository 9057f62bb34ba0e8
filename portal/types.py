"""Request types for annotations: what the tenant middleware and the sign-in checks guarantee.

Django's `HttpRequest` knows neither `membership`/`organization` (set by `TenantMiddleware`)
nor that `user` is signed in behind `login_required` / `TenantViewMixin`. These classes are
never instantiated; views annotate `request` with them (or narrow to them) so the type checker
sees what the middleware and mixins guarantee at run time."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from django.http import HttpRequest

if TYPE_CHECKING:
    from .models import Membership, Organization, User


class PortalRequest(HttpRequest):
    """Any request after `TenantMiddleware` (both attributes are None when signed out)."""

    membership: Membership | None
    organization: Organization | None


class AuthenticatedHttpRequest(PortalRequest):
    """A request with a signed-in user (behind `login_required`, `LoginRequiredMixin` or
    `TenantViewMixin`)."""

    user: User


def request_is_authenticated(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """`request.user.is_authenticated`, telling the type checker the user is a `User`."""
    return request.user.is_authenticated
