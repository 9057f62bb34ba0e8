"""GET /api/v1/: where the API's parts are, for a person or a program starting from the root
(no token needed, nothing of any organization in it): the schema, its docs, the token endpoint
and every endpoint without a parameter, as absolute links. Kept out of the schema (not an
operation of an organization's data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import URLPattern, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# Named in "links"; every other parameter-less /api/v1/ route is an endpoint of the data.
LINKS = {"schema": "api:schema", "docs": "api:docs", "token": "api:token"}


def endpoint_names(urlpatterns: Sequence[Any]) -> list[str]:
    """The URL names of the /api/v1/ routes of `urlpatterns` (api/urls.py's) without a
    parameter (but the root and LINKS'), in their order."""
    skip = {name.removeprefix("api:") for name in LINKS.values()} | {"root"}
    return [
        pattern.name
        for pattern in urlpatterns
        if isinstance(pattern, URLPattern)
        and pattern.name
        and pattern.name not in skip
        and str(pattern.pattern).startswith("api/v1/")
        and not pattern.pattern.converters
    ]


@extend_schema(exclude=True)
class ApiRootView(APIView):
    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []
    # Set by api/urls.py (`as_view(endpoints=endpoint_names(urlpatterns))`).
    endpoints: Sequence[str] = ()

    def get(self, request: Request) -> Response:
        def link(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "title": "CSP Partner Portal API",
                "version": "1",
                "authentication": (
                    "OAuth2 client credentials: POST client_id and client_secret (an API client "
                    "a Global admin creates at /settings/api-clients/) to the token endpoint, "
                    "then send Authorization: Bearer <access_token>."
                ),
                "links": {key: link(name) for key, name in LINKS.items()},
                "endpoints": {name: link(f"api:{name}") for name in self.endpoints},
            }
        )
