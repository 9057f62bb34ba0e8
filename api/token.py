"""POST /api/v1/oauth/token/: django-oauth-toolkit's token endpoint (client credentials), its
errors as problem details that keep OAuth2's `error` member (RFC 6749 §5.2) for OAuth clients."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from oauth2_provider.views import TokenView

from .problems import problem_response

DETAILS = {
    "invalid_client": _(
        "The client ID or secret is wrong, or the API client was revoked or has expired."
    ),
    "invalid_scope": _("Ask only for scopes among the API client's roles."),
    "unsupported_grant_type": _("Use grant_type=client_credentials."),
    "unauthorized_client": _("Use grant_type=client_credentials."),
}


class ClientCredentialsTokenView(TokenView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        if response.status_code < 400:
            return response
        try:
            error = json.loads(response.content).get("error", "invalid_request")
        except (ValueError, AttributeError):
            error = "invalid_request"
        detail = DETAILS.get(error, _("The token request is not valid."))
        problem = problem_response(response.status_code, str(detail), error=error)
        for header in ("WWW-Authenticate", "Cache-Control", "Pragma"):
            if header in response:
                problem[header] = response[header]
        return problem
