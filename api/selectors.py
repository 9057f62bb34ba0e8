from __future__ import annotations

from django.db.models import QuerySet

from portal.models import Organization

from .models import ApiClient


def api_clients_of(*, organization: Organization) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(organization=organization).select_related(
        "application", "created_by"
    )


def api_client_of(*, organization: Organization, pk: int) -> ApiClient | None:
    return api_clients_of(organization=organization).filter(pk=pk).first()


def api_client_for_application(application_id: int) -> ApiClient | None:
    """The API client of an OAuth2 application (with its organization for the policy check;
    its creator is read when a call needs it: api/authentication.py)."""
    return (
        ApiClient.objects.select_related("organization", "organization__country", "application")
        .filter(application_id=application_id)
        .first()
    )
