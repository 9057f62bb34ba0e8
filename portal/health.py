"""The two probes, answered by a middleware placed first: before host validation (a probe
addresses the container by 127.0.0.1, not by the public host name), before the HTTPS redirect
(it speaks plain HTTP inside the network), and without sessions, sign-in or the cache.

- GET /healthz, liveness: "the process answers". 200 "ok" without touching the database, the
  cache or the broker, so a restart is never triggered by a dependency a restart cannot cure
  (compose's and the Dockerfile's healthcheck of web, `make prod`'s smoke test).
- GET /readyz, readiness: can the stack do its work (database, cache, broker, worker and beat
  heartbeats, outbox age; portal/readiness.py)? 200 or 503 with a JSON body naming each check.
  For monitoring and for a deployment to wait on; not for restarting web, nor for taking every
  web replica out of a load balancer when a shared dependency fails."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEALTH_PATHS = {"/healthz", "/healthz/"}
READY_PATHS = {"/readyz", "/readyz/"}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path not in HEALTH_PATHS and path not in READY_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405, content_type="text/plain")
            response["Allow"] = "GET, HEAD"
        elif path in READY_PATHS:
            from .readiness import readiness_response

            response = readiness_response()
        else:
            response = HttpResponse("ok\n", content_type="text/plain")
        response["Cache-Control"] = "no-store"
        return response
