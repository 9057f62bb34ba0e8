from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

from .logs import current_request_id
from .policy import PrivilegedChangeRefused
from .ratelimit import RateLimited


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 403 page; a refusal that carries its reason (a privileged change by a partner acting
    on a customer's behalf) says it. The table's refusals name only an action: not shown."""
    reason = str(exception) if isinstance(exception, PrivilegedChangeRefused) else ""
    return render(request, "403.html", {"reason": reason}, status=403)


logger = logging.getLogger(__name__)

# A database that refuses or drops connections (down, restarting, failing over): the request is
# answered with the 503 page and retried by the client, not a 500 with a traceback each.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


class _Outage:
    """Whether an outage is under way in this process: its warning is logged once, when the
    first request fails, and the flag drops when a request that used the database succeeds."""

    logged = False


OUTAGE = _Outage()


def database_unavailable(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The 503 page in the portal's shell, without the context processors (they read the
    session, the user and the navigation from the database that failed)."""
    if not OUTAGE.logged:
        OUTAGE.logged = True
        logger.warning(
            "The database is unavailable (%s: %s): answering 503 until a request succeeds again.",
            type(exception).__name__,
            exception,
        )
    page = loader.get_template("503.html").render(
        {
            "retry_seconds": RETRY_AFTER_SECONDS,
            "path": request.path,
            "request_id": current_request_id(),
        }
    )
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged once above: Django's request logger would add a traceback per request.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return database_unavailable(request, exception)
    # No context processors: the database may be what failed. The request id lets the person
    # quote the failure, and support find its log lines.
    page = loader.get_template("500.html").render({"request_id": current_request_id()})
    return HttpResponseServerError(page)


class DatabaseOutageMiddleware:
    """Ends an outage (so the next one is logged again) once a request answered without a
    server error while holding a database connection: a static file that never asked the
    database does not end it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            OUTAGE.logged
            and response.status_code < 500
            and connections["default"].connection is not None
        ):
            OUTAGE.logged = False
            logger.warning("The database answers again.")
        return response


def _back_url(request: HttpRequest) -> str:
    """Where the person came from (same site only), else the home page."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


def too_many_requests(request: HttpRequest, exception: RateLimited | None = None) -> HttpResponse:
    """The 429 page in the portal's shell: our limiters (with the action and the wait) and
    allauth's (sign-in, sign-up, password reset: `handler429`)."""
    retry_after = exception.retry_after if exception is not None else None
    response = render(
        request,
        "429.html",
        {
            "description": exception.description if exception is not None else None,
            "retry_minutes": math.ceil(retry_after / 60) if retry_after else None,
            "back_url": _back_url(request),
        },
        status=429,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


class RateLimitedMiddleware:
    """Any view whose service raised RateLimited answers with the 429 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception)
        return None
