"""Shared pieces of the relationships views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import formats

from portal.models import Organization
from portal.tenancy import TenantViewMixin

Kind = Organization.Kind


class RelationshipsViewMixin(TenantViewMixin):
    """TenantViewMixin plus the organization kinds a page exists for (others get a 404)."""

    organization_kinds: set[str] | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any):
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and self.organization_kinds
            and membership.organization.kind not in self.organization_kinds
        ):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def date_text(value) -> str:
    return formats.date_format(value, "Y-m-d") if value else ""


def error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)
