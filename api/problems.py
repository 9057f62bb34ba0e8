"""Every /api/v1/ error as RFC 9457 problem details (`application/problem+json`): `type`,
`title`, `status`, `detail`, the words in the request's language (Accept-Language, through
Django's LocaleMiddleware), the headers that go with them (WWW-Authenticate, Retry-After, Allow)
kept."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_JSON = "application/problem+json"

# status -> (type slug, title): one title per type, translated.
TITLES: dict[int, tuple[str, Any]] = {
    400: ("bad-request", _("Bad request")),
    401: ("unauthorized", _("Not signed in")),
    403: ("forbidden", _("Not allowed")),
    404: ("not-found", _("Not found")),
    405: ("method-not-allowed", _("Method not allowed")),
    406: ("not-acceptable", _("Not acceptable")),
    409: ("conflict", _("Conflict")),
    412: ("precondition-failed", _("Precondition failed")),
    415: ("unsupported-media-type", _("Unsupported media type")),
    422: ("unprocessable", _("Not possible")),
    428: ("precondition-required", _("Precondition required")),
    429: ("too-many-requests", _("Too many requests")),
}
TYPE_BASE = "/api/v1/problems/"


def problem(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    slug, title = TITLES.get(status, ("error", _("Error")))
    return {
        "type": TYPE_BASE + slug,
        "title": str(title),
        "status": status,
        "detail": str(detail),
        **extra,
    }


class RuleRefused(exceptions.APIException):
    """A service's ValidationError (a rule said no): 422 with its sentences and, per field,
    its messages, in the request's language."""

    status_code = 422
    default_code = "refused"

    def __init__(self, error: DjangoValidationError) -> None:
        if hasattr(error, "error_dict"):
            self.errors = {
                ("non_field_errors" if field == NON_FIELD_ERRORS else field): [
                    str(m) for m in messages
                ]
                for field, messages in error.message_dict.items()
            }
            sentences = [m for messages in self.errors.values() for m in messages]
        else:
            sentences = [str(m) for m in error.messages]
            self.errors = {"non_field_errors": sentences}
        super().__init__(" ".join(sentences))


def _detail(exc: exceptions.APIException) -> tuple[str, dict[str, Any]]:
    """The sentence of an error and, for a validation error, the fields' messages."""
    if isinstance(exc, exceptions.Throttled):
        return str(_("This API client made too many calls: try again later.")), {}
    if isinstance(exc, exceptions.NotAuthenticated):
        return str(_("Send a valid access token: Authorization: Bearer <token>.")), {}
    if isinstance(exc, exceptions.ValidationError):
        return str(_("Some parameters are not valid.")), {"errors": exc.detail}
    if isinstance(exc, RuleRefused):
        return str(exc.detail), {"errors": exc.errors}
    return str(exc.detail), {}


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Django's own refusals (a selector's Http404, a service's PermissionDenied) as DRF's.
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        exc = RuleRefused(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail, extra = _detail(exc)
    response.data = problem(response.status_code, detail, **extra)
    response.content_type = PROBLEM_JSON
    return response


def problem_response(status: int, detail: str, **extra: Any) -> HttpResponse:
    """A problem outside Django REST framework's views (the token endpoint)."""
    return HttpResponse(
        json.dumps(problem(status, detail, **extra)), status=status, content_type=PROBLEM_JSON
    )
