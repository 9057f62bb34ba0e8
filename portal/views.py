from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView, View

from .audit_log import audit_export_source, audit_log_filtered, audit_rows
from .dashboard import dashboard_panels
from .dbrouter import ReplicaReadsMixin
from .exports import export_response
from .live import LiveRegion, live_region, live_response
from .models import Membership
from .navigation import MAIN, SETTINGS, navigation
from .paging import keyset_page
from .policy import Action, can
from .selectors import (
    notifications_latest,
    organization_needs_admin_agent,
    outbox_list_all_tenants,
    outbox_message_all_tenants,
)
from .services import user_set_language
from .tenancy import TenantViewMixin, delegation_leave
from .types import AuthenticatedHttpRequest


def delegated_landing(membership: Membership) -> str:
    """Where a partner's agent administering a customer lands (the dashboard is the partner's
    own): the first page of the left navigation, else of Account settings, that its delegated
    roles allow."""
    sections = navigation(membership, "")
    for entry in [*sections[MAIN], *sections[SETTINGS]]:
        return str(entry["path"])
    return reverse("portal:no_organization")


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        membership = getattr(request, "membership", None)
        if membership is not None and membership.is_delegated:
            return redirect(delegated_landing(membership))
        return redirect("portal:dashboard")
    return redirect("account_login")


@login_required
@require_POST
def leave_delegation(request: HttpRequest) -> HttpResponse:
    """ "Leave customer's account" (the banner shown while administering a customer on its
    behalf): back to the partner's own account and dashboard."""
    membership = getattr(request, "membership", None)
    delegation_leave(request)
    if membership is not None and membership.is_delegated:
        messages.info(
            request,
            _("You left the account of %(customer)s.")
            % {"customer": membership.organization.legal_name},
        )
    return redirect("portal:dashboard")


class DashboardView(TenantViewMixin, TemplateView):
    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)
    template_name = "portal/dashboard.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        membership = getattr(request, "membership", None)
        if membership is not None and membership.is_delegated:
            # The customer's dashboard is not a delegated role's: its first allowed page.
            return redirect(delegated_landing(membership))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["needs_admin_agent"] = organization_needs_admin_agent(
            organization=self.organization
        )
        context["can_manage_users"] = can(self.membership, Action.MANAGE_USERS)
        context["notifications_live"] = notifications_live(self.request, self.organization)
        # TenantViewMixin.dispatch() let only a signed-in member through.
        request = cast(AuthenticatedHttpRequest, self.request)
        context["panels"] = dashboard_panels(request, self.membership)
        return context


class AuditLogView(TenantViewMixin, ReplicaReadsMixin, View):
    """A Global admin reads everything recorded about the organization and what its people did
    elsewhere. A fixed number of queries at any size: the members (the person filter) and one
    keyset page of events with their people and organizations; the export streams."""

    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)

    template_name = "portal/audit_log.html"
    required_action = Action.VIEW_AUDIT_LOG
    page_size = 50

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        form, valid, events = audit_log_filtered(self.organization, request.GET)
        if valid and request.GET.get("format") == "csv":
            return export_response(
                request,
                kind_name="audit_log",
                source=audit_export_source(events, self.organization),
            )
        page = None
        if valid:
            page = keyset_page(
                events,
                field_name="created_at",
                descending=True,
                size=self.page_size,
                after=request.GET.get("after", ""),
                before=request.GET.get("before", ""),
            )
            page.object_list = audit_rows(page.object_list, self.organization)
        query = urlencode(
            [(key, value) for key, value in request.GET.items() if key in form.fields and value]
        )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "page": page,
                "query_string": query,
                "export_query": f"{query}&format=csv" if query else "format=csv",
            },
        )


NOTIFICATIONS_SHOWN = 10


def notifications_live(request: HttpRequest, organization) -> LiveRegion:
    """The latest notifications, with a badge counting those newer than the ones the page was
    loaded with (`seen`, the newest id then): one query whatever the number of rows."""
    notifications = notifications_latest(organization=organization, limit=NOTIFICATIONS_SHOWN)
    newest = str(notifications[0].pk) if notifications else "0"
    try:
        seen = int(request.GET.get("seen", newest))
    except ValueError:
        seen = int(newest)
    new_count = sum(1 for n in notifications if n.pk > seen)
    return live_region(
        request,
        region_id="notifications-live",
        endpoint=reverse("portal:notifications_live"),
        template="portal/_notifications.html",
        context={
            "notifications": notifications,
            "new_count": new_count,
            "shown": NOTIFICATIONS_SHOWN,
        },
        keep={"seen": str(seen)},
        announce=ngettext("%(count)s new notification.", "%(count)s new notifications.", new_count)
        % {"count": new_count},
    )


class NotificationsLiveView(TenantViewMixin, View):
    """/dashboard/notifications/: the dashboard's notifications, polled by the page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return live_response(request, notifications_live(request, self.organization))


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
