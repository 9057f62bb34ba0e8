from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from .dashboard import dashboard_panels
from .policy import Action, can
from .selectors import (
    notification_list,
    organization_needs_admin_agent,
    outbox_list_all_tenants,
    outbox_message_all_tenants,
)
from .services import user_set_language
from .tenancy import TenantViewMixin
from .types import AuthenticatedHttpRequest


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    return redirect("account_login")


class DashboardView(TenantViewMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["needs_admin_agent"] = organization_needs_admin_agent(
            organization=self.organization
        )
        context["notifications"] = notification_list(organization=self.organization)[:10]
        context["can_manage_users"] = can(self.membership, Action.MANAGE_USERS)
        # TenantViewMixin.dispatch() let only a signed-in member through.
        request = cast(AuthenticatedHttpRequest, self.request)
        context["panels"] = dashboard_panels(request, self.membership)
        return context


class NoOrganizationView(LoginRequiredMixin, TemplateView):
    template_name = "portal/no_organization.html"


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; saved on the user so it follows them to any browser."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if check_for_language(language) and language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            user_set_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600
        )
    return response


def outbox_allowed(request: HttpRequest) -> bool:
    """The outbox is a staff page (policy READ_OUTBOX) that exists only with DEBUG on."""
    return settings.DEBUG and can(getattr(request, "membership", None), Action.READ_OUTBOX)


def _outbox_allowed(request: HttpRequest) -> None:
    if not outbox_allowed(request):
        raise Http404


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    _outbox_allowed(request)
    page = Paginator(outbox_list_all_tenants(), 25).get_page(request.GET.get("page"))
    return render(request, "portal/outbox_list.html", {"page": page})


@login_required
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _outbox_allowed(request)
    message = outbox_message_all_tenants(pk=pk)
    return render(
        request, "portal/outbox_detail.html", {"message": message, "back": reverse("portal:outbox")}
    )


def bench_ceiling(request: HttpRequest) -> HttpResponse:
    """bench/run's ceiling: no work beyond the middleware every page goes through. Mounted only
    when PORTAL_BENCH_CEILING is on."""
    return HttpResponse(b"ok", content_type="text/plain")
