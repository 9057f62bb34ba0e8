"""What the audit log page and its CSV show of an event: when, who, for whom, what, from where.

Rows are built from events read with their actor and acting organization (`select_related`), so
a page or an export batch costs no query per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from .audit import event_label, event_type_choices
from .csv_export import csv_safe
from .exports import ExportSource
from .forms import AuditLogFilterForm
from .models import AuditEvent, DelegatedRole, Organization, Role
from .selectors import audit_events_for, audit_log_people

SUMMARY_LENGTH = 160

# The details worth a glance, in this order; ids of rows (case, invitation, order...) are left
# out: the event's label already says what they are.
_DETAIL_LABELS: dict[str, Any] = {
    "on_behalf_of": gettext_lazy("On behalf of"),
    "partner": gettext_lazy("Partner"),
    "customer": gettext_lazy("Customer"),
    "email": gettext_lazy("Email"),
    "previous_email": gettext_lazy("Previous email"),
    "contact_email": gettext_lazy("Primary contact"),
    "roles": gettext_lazy("Roles"),
    "before": gettext_lazy("Before"),
    "after": gettext_lazy("After"),
    "fields": gettext_lazy("Fields"),
    "legal_name": gettext_lazy("Legal name"),
    "country": gettext_lazy("Country"),
    "domain": gettext_lazy("Domain"),
    "mpn_id": gettext_lazy("PartnerID"),
    "previous": gettext_lazy("Previous"),
    "sign_in_name": gettext_lazy("Sign-in name"),
    "version": gettext_lazy("Version"),
    "assignee": gettext_lazy("Assignee"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "message": gettext_lazy("Message"),
    "document_types": gettext_lazy("Documents"),
    "failed": gettext_lazy("Failed checks"),
}


@lru_cache(maxsize=8)
def _role_words(_language: str | None) -> dict[str, str]:
    """Role codes in the active language (a detail is stored as codes, worded when read)."""
    return {
        **{role.value: str(role.label) for role in DelegatedRole},
        **{role.value: str(role.label) for role in Role},
    }


def _text(value: Any, words: dict[str, str] | None = None) -> str:
    words = words or {}
    if isinstance(value, list | tuple):
        return ", ".join(words.get(str(item), str(item)) for item in value) or "—"
    return str(value)


def event_summary(
    details: dict[str, Any],
    limit: int | None = SUMMARY_LENGTH,
    labels: dict[str, str] | None = None,
) -> str:
    """A line of the event's details ("Email: a@b.example; Roles: Admin agent"), cut at `limit`
    characters (the page; the export keeps it whole). `labels`: the detail labels already
    translated (`detail_labels()`), for a loop over many events."""
    labels = labels or detail_labels()
    # Roles (roles, before, after) are stored as codes and worded here.
    roles = (
        _role_words(get_language()) if any(isinstance(v, list) for v in details.values()) else None
    )
    parts = [
        f"{label}: {_text(details[key], roles)}"
        for key, label in labels.items()
        if details.get(key) not in (None, "", [])
    ]
    text = "; ".join(parts)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def detail_labels() -> dict[str, str]:
    """The detail labels in the active language."""
    return {key: str(label) for key, label in _DETAIL_LABELS.items()}


@dataclass(frozen=True)
class AuditRow:
    created_at: datetime
    person: str
    person_email: str
    # Set when the person acted for another organization than the one whose log this is.
    acting_for: str
    # The person administered a customer on its behalf (delegated admin) for `acting_for`.
    delegated: bool
    code: str
    label: str
    summary: str
    ip_address: str


def _automatic(details: dict) -> str:
    """Who acted when no person did: an API client (its calls' events name it), else the
    portal itself."""
    client = details.get("api_client") if isinstance(details, dict) else None
    if client:
        return _("API client %(client)s") % {"client": client}
    return _("The portal (automatic)")


def audit_row(
    event: AuditEvent, organization: Organization, labels: dict[str, str] | None = None
) -> AuditRow:
    actor = event.actor
    acting = event.actor_organization
    details = event.details
    if details.get("on_behalf_of") == organization.legal_name:
        # In the customer's own log "(delegated)" already says it; the partner's copy keeps it.
        details = {key: value for key, value in details.items() if key != "on_behalf_of"}
    return AuditRow(
        created_at=event.created_at,
        person=(actor.get_full_name() or actor.email) if actor else _automatic(details),
        person_email=actor.email if actor else "",
        acting_for=acting.legal_name
        if acting and (acting.pk != organization.pk or event.delegated)
        else "",
        delegated=event.delegated,
        code=event.type,
        label=event_label(event.type),
        summary=event_summary(details, SUMMARY_LENGTH, labels),
        # Events recorded before the column existed kept the agreement's address in details.
        ip_address=event.ip_address or str(event.details.get("ip_address") or ""),
    )


def audit_rows(events: Iterable[AuditEvent], organization: Organization) -> list[AuditRow]:
    labels = detail_labels()
    return [audit_row(event, organization, labels) for event in events]


CSV_BATCH = 2000
# Read as tuples, not model instances: an export of 200,000 events builds no object per row.
_CSV_FIELDS = (
    "created_at",
    "actor_id",
    "actor__first_name",
    "actor__last_name",
    "actor__email",
    "actor_organization_id",
    "actor_organization__legal_name",
    "type",
    "details",
    "ip_address",
    "delegated",
)


def audit_log_filtered(
    organization: Organization, params: QueryDict | None
) -> tuple[AuditLogFilterForm, bool, QuerySet[AuditEvent]]:
    """The audit log page's filter form (bound to `params` when there are any), whether it is
    valid, and the events it selects (every event while it is invalid: the page shows none)."""
    form = AuditLogFilterForm(
        params or None,
        event_types=event_type_choices(),
        people=audit_log_people(organization=organization),
    )
    valid = form.is_valid() if form.is_bound else True
    filters = form.cleaned_data if form.is_bound and valid else {}
    events = audit_events_for(
        organization=organization,
        event_type=filters.get("type") or "",
        actor_id=filters.get("person"),
        since=filters.get("date_from"),
        until=filters.get("date_to"),
    )
    return form, valid, events


def audit_export_source_for(organization: Organization, params: QueryDict) -> ExportSource:
    """The export of the audit log with the page's filters (invalid filters: no rows)."""
    _form, valid, events = audit_log_filtered(organization, params)
    return audit_export_source(events if valid else events.none(), organization)


def audit_export_source(events: QuerySet[AuditEvent], organization: Organization) -> ExportSource:
    """The export: rows are read in server-side chunks, so memory stays flat; every label is
    translated once per export, not once per row."""
    header = [
        _("When (UTC)"),
        _("Person"),
        _("Person's email"),
        _("Acting for"),
        _("Event"),
        _("Event code"),
        _("Details"),
        _("IP address"),
        _("Delegated"),
    ]
    labels = dict(event_type_choices())
    details_labels = detail_labels()
    yes = _("Yes")

    def rows() -> Iterator[list[str]]:
        for row in events.values_list(*_CSV_FIELDS).iterator(chunk_size=CSV_BATCH):
            created_at, actor_id, first, last, email, acting_id, acting, code, details, ip = row[
                :10
            ]
            delegated = row[10]
            person = (f"{first} {last}".strip() or email) if actor_id else _automatic(details)
            yield [
                csv_safe(value)
                for value in (
                    created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    person,
                    email or "",
                    acting if acting_id and (acting_id != organization.pk or delegated) else "",
                    labels.get(code, code),
                    code,
                    event_summary(details, None, details_labels),
                    ip or details.get("ip_address") or "",
                    yes if delegated else "",
                )
            ]

    return ExportSource(queryset=events, header=header, rows=rows)
