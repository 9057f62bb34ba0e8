"""Settings → API clients: an organization's Global admins list, create and revoke the clients
that call /api/v1/. The secret is shown once, on the page answering the creation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from portal.confirm import confirmed
from portal.paging import keyset_page
from portal.policy import Action
from portal.secret_pages import secret_page
from portal.tenancy import TenantViewMixin
from portal.types import AuthenticatedHttpRequest

from .forms import ApiClientForm
from .selectors import api_calls_of, api_client_of, api_clients_of
from .services import api_client_create, api_client_revoke

PAGE_SIZE = 25
CALLS_PAGE_SIZE = 50


class ApiClientListView(TenantViewMixin, View):
    required_action = Action.MANAGE_API_CLIENTS

    def render_page(
        self, request: AuthenticatedHttpRequest, form: ApiClientForm, created=None, status=200
    ) -> HttpResponse:
        page = Paginator(api_clients_of(organization=self.organization), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "api/clients.html",
            {"page": page, "form": form, "created": created},
            status=status,
        )

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return self.render_page(request, ApiClientForm())

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = ApiClientForm(request.POST)
        if not form.is_valid():
            return self.render_page(request, form, status=400)
        try:
            created = api_client_create(
                actor=request.user,
                organization=self.organization,
                name=form.cleaned_data["name"],
                roles=form.cleaned_data["roles"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error("expires_on" if field == "expires_at" else field, errors)
            return self.render_page(request, form, status=400)
        # The one page that ever shows the secret: not cached, not redirected to.
        return secret_page(self.render_page(request, ApiClientForm(), created=created))


class _ClientView(TenantViewMixin, View):
    required_action = Action.MANAGE_API_CLIENTS

    def get_client(self, pk: int):
        client = api_client_of(organization=self.organization, pk=pk)
        if client is None:
            raise Http404
        return client


class ApiClientCallsView(_ClientView):
    """A client's calls of /api/v1/ (api/call_log.py), newest first, in keyset pages. Calls
    reach the log within seconds of being made (API_CALL_DRAIN_SECONDS)."""

    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        client = self.get_client(pk)
        page = keyset_page(
            api_calls_of(client=client),
            field_name="created_at",
            descending=True,
            size=CALLS_PAGE_SIZE,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
        )
        return render(
            request,
            "api/client_calls.html",
            {"client": client, "page": page, "days": settings.API_CALL_RETENTION_DAYS},
        )


class ApiClientRevokeView(_ClientView):
    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        return render(request, "api/client_revoke.html", {"client": self.get_client(pk)})

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        client = self.get_client(pk)
        if not confirmed(request):
            return self.get(request, pk)
        api_client_revoke(actor=request.user, client=client)
        messages.success(
            request, _("%(name)s was revoked: its tokens no longer work.") % {"name": client.name}
        )
        return redirect("api:clients")
