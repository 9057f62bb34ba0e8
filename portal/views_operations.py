"""The operations page (/operations/): what the programme operator's staff watch to keep the
portal running, and "Retry now" on the emails that failed.

Every number comes from `portal.operations`, the module `/readyz` and `/metrics` read too, so
the three never disagree. A fixed number of queries whatever the data: the heartbeats, the
outbox backlog, each registered reading (one count each), and one page of failed emails."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView, View

from .delegation import IDLE_TIMEOUT
from .mfa import mfa_setup_required, redirect_to_mfa_setup
from .operations import (
    BEAT,
    HEARTBEAT_STALE,
    SERVER_ERROR_WINDOW_MINUTES,
    WORKER,
    delegated_sessions_active,
    failed_emails,
    heartbeat_age,
    heartbeats,
    outbox_backlog,
    queue_depth,
    read_all,
    readings,
    recent_server_errors,
)
from .paging import bounded_page
from .policy import Action
from .services import RetryOutcome, outbox_retry_failed, outbox_retry_now
from .tenancy import TenantViewMixin
from .types import AuthenticatedHttpRequest, request_is_authenticated

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
ERROR_SHOWN = 160  # characters of an email's last error in the table (the full text on hover)


def duration_text(seconds: float) -> str:
    """A short, translated length of time: "45 seconds", "3 min", "2 h 5 min", "3 days"."""
    seconds = int(seconds)
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


@dataclass(frozen=True)
class Figure:
    """One line of the summary: what it is, its value in words, and whether someone should
    look at it (shown as words and an icon, never as a colour alone)."""

    label: Any
    value: str
    attention: bool = False
    note: str = ""
    ok: bool = False  # a check that passed (a heartbeat seen lately): "OK" with a tick


def _heartbeat(label: Any, name: str, seen: dict[str, Any], now: Any) -> Figure:
    age = heartbeat_age(seen, name, now)
    if age is None:
        return Figure(label, _("No heartbeat received yet"), attention=True)
    if age > HEARTBEAT_STALE.total_seconds():
        return Figure(
            label,
            _("No heartbeat for %(age)s") % {"age": duration_text(age)},
            attention=True,
        )
    return Figure(
        label, _("OK"), ok=True, note=_("last seen %(age)s ago") % {"age": duration_text(age)}
    )


def _queue_depth() -> Figure:
    label = gettext_lazy("Tasks waiting in the queue")
    try:
        depth = queue_depth()
    except Exception:  # any broker failure: the page still shows everything else
        logger.warning("operations page: the broker is unreachable", exc_info=True)
        return Figure(label, _("Unreachable: the broker does not answer"), attention=True)
    return Figure(label, str(depth))


def _cached_count(label: Any, read: Any) -> Figure:
    """A count kept in the shared cache: a cache that fails leaves the rest of the page."""
    try:
        return Figure(label, str(read()))
    except Exception:
        logger.warning("operations page: could not read %s", label, exc_info=True)
        return Figure(label, _("Could not be read"), attention=True)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


@dataclass(frozen=True)
class FigureGroup:
    slug: str
    heading: Any
    figures: list[Figure]


def operations_figures() -> list[FigureGroup]:
    """The summary, by group (processes, emails, requests, the feature apps' readings)."""
    now = timezone.now()
    seen = heartbeats()
    backlog = outbox_backlog(now=now)
    values = read_all()
    feature_figures = []
    for reading in readings():
        value = values.get(reading.key)
        if value is None:
            feature_figures.append(Figure(reading.label, _("Could not be read"), attention=True))
            continue
        above = reading.alert_above is not None and value > reading.alert_above
        feature_figures.append(Figure(reading.label, _number(value), attention=above))
    return [
        FigureGroup(
            "processes",
            gettext_lazy("Background processes"),
            [
                _heartbeat(gettext_lazy("Worker heartbeat"), WORKER, seen, now),
                _heartbeat(gettext_lazy("Scheduler (beat) heartbeat"), BEAT, seen, now),
                _queue_depth(),
            ],
        ),
        FigureGroup(
            "emails",
            gettext_lazy("Emails"),
            [
                Figure(gettext_lazy("Emails waiting to be sent"), str(backlog.waiting)),
                Figure(
                    gettext_lazy("Oldest waiting email"),
                    duration_text(backlog.oldest_age_seconds) if backlog.waiting else _("None"),
                ),
                Figure(
                    gettext_lazy("Emails whose last attempt failed"),
                    str(backlog.failing),
                    attention=backlog.failing > 0,
                ),
            ],
        ),
        FigureGroup(
            "requests",
            gettext_lazy("Requests"),
            [
                _cached_count(
                    ngettext(
                        "Server errors (5xx) in the last minute",
                        "Server errors (5xx) in the last %(minutes)d minutes",
                        SERVER_ERROR_WINDOW_MINUTES,
                    )
                    % {"minutes": SERVER_ERROR_WINDOW_MINUTES},
                    recent_server_errors,
                ),
                _cached_count(
                    gettext_lazy("Partners administering a customer's account now"),
                    lambda: delegated_sessions_active(idle_seconds=IDLE_TIMEOUT.total_seconds()),
                ),
            ],
        ),
        FigureGroup("features", gettext_lazy("Work waiting"), feature_figures),
    ]


class OperatorStaffMixin(TenantViewMixin):
    """The programme operator's staff only (the policy's `required_action`): any other
    organization kind gets the same 404 as for a page that does not exist, as the review queue
    does; with a second factor set up when PORTAL_REQUIRE_MFA (the portal-wide middleware does
    it already; checked here too, as the review queue does, since these pages read and act on
    every tenant's emails)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request_is_authenticated(request) and mfa_setup_required(request.user, request):
            return redirect_to_mfa_setup(request)
        return super().dispatch(request, *args, **kwargs)


class OperationsView(OperatorStaffMixin, TemplateView):
    template_name = "portal/operations.html"
    required_action = Action.VIEW_OPERATIONS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = bounded_page(failed_emails(), self.request.GET.get("page"), per_page=PAGE_SIZE)
        context.update(
            {
                "figures": operations_figures(),
                "page": page,
                "error_shown": ERROR_SHOWN,
                "updated_at": timezone.now(),
            }
        )
        return context


class RetryForm(forms.Form):
    message = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    all = forms.BooleanField(required=False)


class OperationsRetryView(OperatorStaffMixin, View):
    """POST only: "Retry now" on one failed email, or "Retry all failed". Back to the page with
    a message saying what happened (a sent or vanished email is said so, never a 500)."""

    required_action = Action.RETRY_EMAIL
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        # TenantViewMixin.dispatch() let only a signed-in member through.
        user = cast(AuthenticatedHttpRequest, request).user
        form = RetryForm(request.POST)
        back = redirect("portal:operations")
        if not form.is_valid():
            messages.error(request, _("That email could not be found."))
            return back
        if form.cleaned_data["all"]:
            count = outbox_retry_failed(actor=user)
            if count:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d failed email will be sent again within a minute.",
                        "%(count)d failed emails will be sent again within a minute.",
                        count,
                    )
                    % {"count": count},
                )
            else:
                messages.info(request, _("No failed email is waiting to be sent again."))
            return back
        message_id = form.cleaned_data["message"]
        if message_id is None:
            messages.error(request, _("That email could not be found."))
            return back
        retry = outbox_retry_now(actor=user, message_id=message_id)
        to = {"to": retry.to_email}
        if retry.outcome == RetryOutcome.QUEUED:
            messages.success(
                request, _("The email to %(to)s will be sent again within a minute.") % to
            )
        elif retry.outcome == RetryOutcome.SENT:
            messages.info(request, _("The email to %(to)s was sent already: nothing to do.") % to)
        elif retry.outcome == RetryOutcome.SENDING:
            messages.info(request, _("The email to %(to)s is being sent right now.") % to)
        else:
            messages.error(request, _("That email could not be found."))
        return back
