"""Per-client rate limit: the portal's limiter (portal/ratelimit.py, fixed windows in the
cache) under the "api_client" action of PORTAL_RATE_LIMITS; over it, 429 with Retry-After."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from portal.ratelimit import RateLimited, rate_limit_consume

from .authentication import RATE_ACTION, ApiCaller


class ApiClientRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        caller = request.auth
        if not isinstance(caller, ApiCaller):
            return True
        try:
            rate_limit_consume(
                action=RATE_ACTION, key=str(caller.client.pk), counted=caller.counted
            )
        except RateLimited as limited:
            self.retry_after = limited.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return self.retry_after
