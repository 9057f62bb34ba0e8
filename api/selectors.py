from __future__ import annotations

from django.db.models import QuerySet

from portal.models import Organization

from .models import ApiCall, ApiClient


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


def api_calls_of(*, client: ApiClient) -> QuerySet[ApiCall]:
    """The client's logged calls (api/call_log.py), for a newest-first keyset page
    (`apicall_client`: one index range read per page however many calls it made)."""
    return (
        ApiCall.objects.filter(client=client)
        .select_related("acting_for")
        .only(
            "pk",
            "method",
            "path",
            "status",
            "duration_ms",
            "request_id",
            "created_at",
            "acting_for__legal_name",
        )
    )
