"""The OpenAPI security scheme of `ApiClientAuthentication` (drf-spectacular extension)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from portal.models import Role
from portal.policy import ALL_PARTNER_ROLES


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
