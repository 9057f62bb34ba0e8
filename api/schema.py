"""The OpenAPI security scheme of `ApiClientAuthentication` (drf-spectacular extension) and
the schema class of every `ApiView`."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from portal.models import Role
from portal.policy import ALL_PARTNER_ROLES

from .idempotency import HEADER, KEY_PATTERN


class ApiClientScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiClientAuthentication"
    name = "clientCredentials"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/api/v1/oauth/token/",
                    "scopes": {
                        role.value: str(role.label) for role in Role if role in ALL_PARTNER_ROLES
                    },
                }
            },
        }

    def get_security_requirement(self, auto_schema):
        return {self.name: []}


class ApiSchema(AutoSchema):
    """drf-spectacular's schema of an `ApiView`, with what `ApiView` adds to every operation of
    a kind: the `Idempotency-Key` header and its answers on every POST; `If-Match` and its
    answers on the methods a view lists in `if_match_methods`."""

    def _is_post(self) -> bool:
        return self.method == "POST"

    def _needs_if_match(self) -> bool:
        return self.method in getattr(self.view, "if_match_methods", ())

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_post():
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    description=(
                        "Optional. A repeat of this POST with the same key within 24 hours "
                        "returns the first answer (status and body, with "
                        "`Idempotent-Replayed: true`) and does nothing again; the same key "
                        "with another body is a 422."
                    ),
                    pattern=KEY_PATTERN,
                )
            )
        if self._needs_if_match():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    required=True,
                    description=(
                        "The `ETag` of the object's last GET: a change is refused (412) when "
                        "the object changed since."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        # Added here, not in get_response_serializers: @extend_schema(responses=...) replaces
        # that method on each operation.
        responses = super()._get_response_bodies(direction)
        from .problems import PROBLEM_JSON
        from .serializers import ProblemSerializer

        def add(status: int, description: str) -> None:
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(response=ProblemSerializer, description=description),
                    str(status),
                    [PROBLEM_JSON],
                    direction,
                )

        if self._is_post():
            add(400, "The request or its Idempotency-Key is not valid.")
            add(409, "A request with this Idempotency-Key is still running.")
            add(422, "This Idempotency-Key was used for another request.")
        if self._needs_if_match():
            add(412, "The object changed since the ETag sent in If-Match.")
            add(428, "Send the object's ETag in If-Match.")
        return responses
