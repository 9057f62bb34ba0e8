"""The operator admin (/operator-admin/) behind the portal's one sign-in door.

Django's admin has its own password-only login form: no second factor, no rate limit. Here its
login hands over to allauth's (`/accounts/login/?next=...`, which runs the TOTP stage and the
login rate limits) and its logout to allauth's; a signed-in user without staff rights gets a
403 instead of a login form that would send them round in a loop."""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class PortalAdminSite(AdminSite):
    site_header = "CSP Partner Portal operator admin"
    site_title = "CSP Partner Portal operator admin"

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        @secure_admin_login
        def staff_login(request: HttpRequest) -> HttpResponse:
            return super(PortalAdminSite, self).login(request, extra_context)

        return staff_login(request)

    def logout(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        return HttpResponseRedirect(reverse("account_logout"))
