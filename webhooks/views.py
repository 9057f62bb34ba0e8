"""Account settings → Webhooks: an organization's Global admins register endpoints, see each
one's delivery log, rotate its secret, send it a test event, delete it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.audit import event_label
from portal.confirm import Confirmation, confirm_page, confirmed
from portal.paging import bounded_page
from portal.policy import Action
from portal.secret_pages import secret_page
from portal.tenancy import TenantViewMixin
from portal.types import AuthenticatedHttpRequest

from . import selectors, services
from .events import TEST_EVENT_TYPE
from .forms import EndpointForm
from .models import WebhookEndpoint

TEMPLATES = "webhooks"


class _WebhooksView(TenantViewMixin, View):
    required_action = Action.MANAGE_WEBHOOKS

    def endpoint(self, pk: int) -> WebhookEndpoint:
        return self.tenant_get(WebhookEndpoint, pk=pk)

    def back(self) -> list[tuple[str, str]]:
        return [(_("Webhooks"), reverse("webhooks:endpoints"))]

    def confirm(
        self,
        request: AuthenticatedHttpRequest,
        *,
        title: str,
        question: str,
        explanation: str,
        confirm_label: str,
        keep_label: str,
    ) -> HttpResponse:
        """The question page of an irreversible action on an endpoint ("keep": the list)."""
        return confirm_page(
            request,
            Confirmation(
                title=title,
                question=question,
                explanation=[explanation],
                confirm_label=confirm_label,
                keep_label=keep_label,
                back=reverse("webhooks:endpoints"),
                breadcrumb=self.back(),
            ),
        )


class EndpointListView(_WebhooksView):
    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        endpoints = list(selectors.webhook_endpoints_of(organization=self.organization))
        for endpoint in endpoints:
            endpoint.event_labels = [event_label(code) for code in endpoint.event_types]  # type: ignore[attr-defined]
        return render(
            request,
            f"{TEMPLATES}/endpoints.html",
            {"endpoints": endpoints, "disable_after": settings.WEBHOOKS_DISABLE_AFTER},
        )


class EndpointAddView(_WebhooksView):
    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return render(request, f"{TEMPLATES}/endpoint_add.html", {"form": EndpointForm()})

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint = services.webhook_endpoint_create(
                    actor=request.user,
                    organization=self.organization,
                    url=form.cleaned_data["url"],
                    event_types=form.cleaned_data["event_types"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                return secret_page(
                    render(
                        request,
                        f"{TEMPLATES}/secret.html",
                        {"endpoint": endpoint, "created": True},
                    )
                )
        return render(request, f"{TEMPLATES}/endpoint_add.html", {"form": form})


class EndpointRotateView(_WebhooksView):
    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        endpoint = self.endpoint(pk)
        return self.confirm(
            request,
            title=_("Rotate signing secret"),
            question=_("Rotate the signing secret of %(url)s?") % {"url": endpoint.url},
            explanation=_(
                "A new secret signs every event from now. For 24 hours the current one "
                "signs them too, so your receiver keeps accepting events while you "
                "replace the secret there; after that, only the new one."
            ),
            confirm_label=_("Yes, rotate the secret"),
            keep_label=_("Keep the current secret"),
        )

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        if not confirmed(request):
            return self.get(request, pk)
        endpoint = services.webhook_secret_rotate(actor=request.user, endpoint=self.endpoint(pk))
        return secret_page(
            render(request, f"{TEMPLATES}/secret.html", {"endpoint": endpoint, "created": False})
        )


class EndpointTestView(_WebhooksView):
    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        endpoint = self.endpoint(pk)
        try:
            services.webhook_test_send(actor=request.user, endpoint=endpoint)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Test event queued: its delivery shows below within seconds.")
            )
        return redirect("webhooks:deliveries", pk=endpoint.pk)


class EndpointEnableView(_WebhooksView):
    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        endpoint = services.webhook_endpoint_enable(actor=request.user, endpoint=self.endpoint(pk))
        messages.success(
            request,
            _("%(url)s is enabled again: waiting events are being sent.") % {"url": endpoint.url},
        )
        return redirect("webhooks:endpoints")


class EndpointDeleteView(_WebhooksView):
    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        endpoint = self.endpoint(pk)
        return self.confirm(
            request,
            title=_("Delete webhook endpoint"),
            question=_("Delete the endpoint %(url)s?") % {"url": endpoint.url},
            explanation=_(
                "It receives no more events, events not yet delivered are dropped, and "
                "its delivery log is deleted. This cannot be undone."
            ),
            confirm_label=_("Yes, delete the endpoint"),
            keep_label=_("Keep the endpoint"),
        )

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        endpoint = self.endpoint(pk)
        if not confirmed(request):
            return self.get(request, pk)
        url = endpoint.url
        services.webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
        messages.success(request, _("The endpoint %(url)s was deleted.") % {"url": url})
        return redirect("webhooks:endpoints")


class DeliveryListView(_WebhooksView):
    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        endpoint = self.endpoint(pk)
        page = bounded_page(
            selectors.webhook_deliveries_of(endpoint=endpoint),
            request.GET.get("page"),
            per_page=25,
        )
        rows = [
            (
                delivery,
                _("Test event")
                if delivery.event_type == TEST_EVENT_TYPE
                else event_label(delivery.event_type),
            )
            for delivery in page.object_list
        ]
        return render(
            request,
            f"{TEMPLATES}/deliveries.html",
            {"endpoint": endpoint, "page": page, "rows": rows},
        )
