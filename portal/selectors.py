from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language

from .countries import country_name, region_name, sorted_by_name
from .models import (
    AuditEvent,
    Export,
    Market,
    Membership,
    Notification,
    Organization,
    OutboxMessage,
    User,
)
from .sqlmemo import memo_rows, memo_rows_of_values


def organization_has_admin_agent(*, organization: Organization) -> bool:
    """`exists()` as one row at most, its SQL compiled once per organization (`sqlmemo`): the
    dashboard asks on every load, and compiling cost more CPU than the query (issue 21)."""

    def build(_cursor: object) -> QuerySet:
        return (
            Membership.objects.filter(organization_id=organization.pk, admin_agent=True)
            .order_by()
            .values_list("pk", named=True)[:1]
        )

    return bool(memo_rows(("portal.organization_has_admin_agent", organization.pk), build, None))


# Partner Center asks partners (not customers or the operator) to hold Admin agent.
PARTNER_KINDS = {Organization.Kind.RESELLER, Organization.Kind.PROVIDER}


def organization_needs_admin_agent(*, organization: Organization) -> bool:
    """The dashboard's set-up task: an enrolled partner where nobody holds Admin agent yet."""
    return (
        organization.kind in PARTNER_KINDS
        and organization.status != Organization.Status.DRAFT
        and not organization_has_admin_agent(organization=organization)
    )


def notification_list(*, organization: Organization) -> QuerySet[Notification]:
    return Notification.objects.filter(organization=organization)


@dataclass(frozen=True, slots=True)
class NotificationRow:
    """What the dashboard shows of a notification (`Notification.text`'s wording)."""

    pk: int
    created_at: datetime
    link: str
    code: str
    params: dict[str, Any]
    message: str

    @property
    def text(self) -> str:
        from .notices import notice_text

        return notice_text(self.code, self.params, self.message)


def notifications_latest(*, organization: Organization, limit: int) -> list[NotificationRow]:
    """`notification_list`'s first `limit` as plain rows, the SQL compiled once per organization
    (`sqlmemo`; `params` read as text, since a JSON column's converter would make the ORM run it
    every time): ~1 ms less CPU per dashboard and per poll (issue 21)."""

    def build(_cursor: object) -> QuerySet:
        return (
            notification_list(organization=organization)
            .annotate(params_text=Cast("params", TextField()))
            .values_list("pk", "created_at", "link", "code", "params_text", "message", named=True)[
                :limit
            ]
        )

    rows = memo_rows(("portal.notifications_latest", organization.pk, limit), build, None)
    return [
        NotificationRow(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5]) for row in rows
    ]


def outbox_list_all_tenants() -> QuerySet[OutboxMessage]:
    """Every message, across tenants: only for the staff-only /outbox/ page."""
    return OutboxMessage.objects.defer("body_html", "body_text", "context")


def outbox_message_all_tenants(*, pk: int) -> OutboxMessage:
    """One message, any tenant's (the staff-only /outbox/ page); 404 when there is none."""
    return get_object_or_404(OutboxMessage, pk=pk)


def market_get(*, code: str) -> Market:
    """One CSP market by its ISO code (Market.DoesNotExist when there is none)."""
    return Market.objects.get(code=code)


def market_names() -> list[tuple[str, str]]:
    """Every CSP market as (code, name) in the reader's language and alphabetical order: pairs,
    no model instance per country. Named and sorted once per language and rows read
    (`market_and_region_names`: the wizard's country field cost ~1.5 ms a request)."""
    return list(market_and_region_names()[0])


type _MarketRows = tuple[tuple[str, str, int, str], ...]
type _MarketAndRegionNames = tuple[list[tuple[str, str]], list[tuple[int, str]]]
# (language, the query's rows) → their names in order: the same answer for the same rows.
_MARKET_AND_REGION_NAMES: dict[tuple[str | None, _MarketRows], _MarketAndRegionNames] = {}


def _market_rows() -> _MarketRows:
    # The named rows as they come: each is a tuple, equal to (and hashed as) its plain values.
    return tuple(
        memo_rows(
            ("portal.market_rows",),
            lambda _cursor: Market.objects.values_list(
                "code", "name", "region_id", "region__name", named=True
            ),
            None,
        )
    )


def market_name(code: str) -> str | None:
    """One CSP market's name in the reader's language, as `market_names` names it, or None
    when no market has `code`: a posted country checked without reading all 242 (its SQL
    compiled once, `portal.sqlmemo`)."""
    rows = memo_rows_of_values(
        ("portal.market_name",),
        lambda value: (
            Market.objects.filter(code=value).order_by().values_list("name", named=True)[:1]
        ),
        [code],
    )
    return country_name(code, rows[0].name) if rows else None


def market_and_region_names() -> _MarketAndRegionNames:
    """Every CSP market as (code, name) and every region holding one as (id, name), both in the
    reader's language and order, from one query. Naming and sorting 242 markets cost ~2 ms of
    CPU a request (the review queue's filters): the answer is kept per language and rows read,
    so the query (its SQL compiled once) still runs every time and a change to the markets
    shows on the next request.
    The lists are shared: callers copy them, never change them."""
    rows = _market_rows()
    key = (get_language(), rows)
    found = _MARKET_AND_REGION_NAMES.get(key)
    if found is None:
        markets = sorted_by_name((code, country_name(code, name)) for code, name, _r, _rn in rows)
        regions = sorted_by_name({(region, region_name(name)) for _c, _n, region, name in rows})
        if len(_MARKET_AND_REGION_NAMES) >= 16:  # markets changed: the old rows go
            _MARKET_AND_REGION_NAMES.clear()
        found = _MARKET_AND_REGION_NAMES[key] = (markets, regions)
    return found


def email_language(
    *,
    user: User | None = None,
    email: str = "",
    organization: Organization | None = None,
    chosen: str = "",
) -> str:
    """The language an email goes out in, the one order every email follows:
    1. the recipient's own saved language (`user`, else the account at `email`);
    2. the language of the recipient's organization (`organization`, else the organization at
       the address's domain);
    3. `chosen`, the sender's choice on an invitation form;
    4. the site's (LANGUAGE_CODE).
    tests/test_rules.py fails when an outbox email takes its language from anywhere else."""
    language = user.language if user is not None else ""
    if not language and email:
        language = (
            User.objects.filter(email__iexact=email).values_list("language", flat=True).first()
            or ""
        )
    if language:
        return language
    org_language = organization.language if organization is not None else ""
    if not org_language and email:
        domain = email.rpartition("@")[2].lower()
        org_language = (
            Organization.objects.filter(primary_domain__iexact=domain)
            .exclude(status=Organization.Status.CLOSED)
            .values_list("language", flat=True)
            .first()
            or ""
        )
    return org_language or chosen or settings.LANGUAGE_CODE


def global_admins(*, organization: Organization, billing_admins: bool = False) -> list[User]:
    """An organization's Global admins who can sign in, oldest membership first: who hears
    about what concerns the whole organization (GDAP requests and answers, relationships,
    admin access); with `billing_admins`, its Billing admins too (subscriptions)."""
    return global_admins_of([organization.pk], billing_admins=billing_admins).get(
        organization.pk, []
    )


def global_admins_of(
    organization_ids: Iterable[int], *, billing_admins: bool = False
) -> dict[int, list[User]]:
    """`global_admins` of many organizations in one query (a batch of the monthly close's
    invoices): organization id -> its admins (absent when it has none)."""
    admins = (
        Q(global_admin=True) | Q(billing_admin=True) if billing_admins else Q(global_admin=True)
    )
    found: dict[int, list[User]] = {}
    for m in (
        Membership.objects.filter(
            admins, organization_id__in=list(organization_ids), user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ):
        found.setdefault(m.organization_id, []).append(m.user)
    return found


def audit_events_for(
    *,
    organization: Organization,
    event_type: str = "",
    actor_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """One organization's audit log, newest first (the `audit_org_newest` index serves the order
    and keyset pages); `since`/`until` are whole days in the current time zone. The events its own
    people caused in other organizations are in it too: `portal.audit` keeps a copy for the
    acting organization."""
    events = AuditEvent.objects.filter(organization=organization)
    if event_type:
        events = events.filter(type=event_type)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    zone = timezone.get_current_timezone()
    if since is not None:
        events = events.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        next_day = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        events = events.filter(created_at__lt=next_day)
    return events.select_related("actor", "actor_organization").order_by("-created_at", "-pk")


# The person filter lists the members; an organization with more is filtered by its first ones
# (no control renders an unbounded list).
AUDIT_PEOPLE_CAP = 500


def audit_log_people(*, organization: Organization) -> list[tuple[int, str]]:
    """The organization's members as (user id, name), by name: the audit log's person filter."""
    rows = (
        Membership.objects.filter(organization=organization)
        .order_by("user__first_name", "user__last_name", "user__email")
        .values_list("user_id", "user__first_name", "user__last_name", "user__email")
    )[:AUDIT_PEOPLE_CAP]
    return [(user_id, f"{first} {last}".strip() or email) for user_id, first, last, email in rows]


def export_of(*, organization: Organization, export_id: int) -> Export | None:
    """One of the organization's exports (another tenant's is None, like a missing one)."""
    return Export.objects.filter(organization=organization, pk=export_id).first()


def recent_exports(*, organization: Organization, kind: str, limit: int = 5) -> list[Export]:
    """The organization's latest exports of one list (the offer page lists them)."""
    return list(Export.objects.filter(organization=organization, kind=kind)[:limit])
