"""GET /healthz: the liveness probe of compose, the Dockerfile's HEALTHCHECK and `make prod`'s
smoke test. 200 "ok" when the database answers `SELECT 1`, 503 when it does not.

A middleware placed first, so the probe is answered before host validation (a probe addresses
the container by 127.0.0.1, not by the public host name), before the HTTPS redirect (it speaks
plain HTTP inside the network), and without touching sessions, sign-in or the cache."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

HEALTH_PATHS = {"/healthz", "/healthz/"}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in HEALTH_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405, content_type="text/plain")
            response["Allow"] = "GET, HEAD"
        else:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    cursor.fetchone()
            except DatabaseError:
                logger.exception("health check: the database did not answer")
                response = HttpResponse(
                    "database unavailable\n", status=503, content_type="text/plain"
                )
            else:
                response = HttpResponse("ok\n", content_type="text/plain")
        response["Cache-Control"] = "no-store"
        return response
