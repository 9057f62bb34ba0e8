"""The audit log: `audit_record()` appends one event; the catalogue says which event types exist.

The catalogue keeps the core free of feature imports (as the dashboard panels do): each app
declares its event types in `<app>/events.py` as a `TextChoices` (stored code, translated label)
and registers it in its `AppConfig.ready()` with `register_event_types()`. Call sites pass those
constants, never a free string; recording a type nobody registered raises where
`PORTAL_AUDIT_STRICT` is on (DEBUG and tests) and is logged elsewhere, so a typo never reaches
production silently. Pages show an event with `event_label(code)`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest, HttpResponse

from .client_ip import client_ip
from .models import AuditEvent, Notification, Organization, User
from .notices import Notice, notice_english

logger = logging.getLogger(__name__)

# code -> label (a lazy translation); filled by the apps' ready() at start-up.
_CATALOGUE: dict[str, Any] = {}


def register_event_types(choices: type[models.TextChoices]) -> None:
    """Add an app's event types to the catalogue. A code registered twice with another label is a
    mistake (two apps claiming one code) and raises."""
    for code, label in choices.choices:
        existing = _CATALOGUE.get(code)
        if existing is not None and str(existing) != str(label):
            raise ImproperlyConfigured(f"Audit event type {code!r} is registered twice.")
        _CATALOGUE[code] = label


# Called with the rows of every recording, inside the caller's transaction: a feature app writes
# what must commit or roll back with the event (the webhooks' outbox rows). Filled in
# AppConfig.ready() with `register_audit_hook`; the core knows no hook's app.
_HOOKS: list[Callable[[list[AuditEvent]], None]] = []


def register_audit_hook(hook: Callable[[list[AuditEvent]], None]) -> None:
    """Run `hook(events)` after each recording (registering one twice adds nothing)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def event_type_registered(code: str) -> bool:
    return code in _CATALOGUE


def event_label(code: str) -> str:
    """The translated label of an event type; an unknown (retired) code shows as itself."""
    label = _CATALOGUE.get(code)
    return str(label) if label is not None else code


def event_type_choices() -> list[tuple[str, str]]:
    """Every registered type as (code, translated label), sorted by label in the active language."""
    return sorted(((code, str(label)) for code, label in _CATALOGUE.items()), key=lambda c: c[1])


def _check_registered(code: str) -> None:
    if code in _CATALOGUE:
        return
    if getattr(settings, "PORTAL_AUDIT_STRICT", settings.DEBUG):
        raise ImproperlyConfigured(
            f"Audit event type {code!r} is not in the catalogue: declare it in the app's events.py."
        )
    logger.warning("audit event type %r is not in the catalogue", code)


@dataclass(frozen=True)
class RequestContext:
    """Who is asking, from where: set for the length of a request by `AuditContextMiddleware`."""

    ip_address: str | None
    user_id: int | None
    organization: Organization | None
    # While a partner's agent administers a customer on its behalf (`portal.delegation`): the
    # customer, whose account the request acts in (`organization` is then the partner).
    delegated_in: Organization | None = None
    # A call of the REST API (the `api` app): the API client acting, as the audit log names it;
    # `organization` is the client's.
    api_client: str | None = None


_request: ContextVar[RequestContext | None] = ContextVar("portal_audit_request", default=None)


@contextmanager
def request_context(
    *,
    ip_address: str | None,
    user_id: int | None,
    organization: Organization | None,
    delegated_in: Organization | None = None,
    api_client: str | None = None,
) -> Iterator[None]:
    token = _request.set(
        RequestContext(
            ip_address=ip_address,
            user_id=user_id,
            organization=organization,
            delegated_in=delegated_in,
            api_client=api_client,
        )
    )
    try:
        yield
    finally:
        _request.reset(token)


class AuditContextMiddleware:
    """Lets `audit_record()` stamp the client's IP and the actor's organization on every event a
    request causes, without threading the request through each service.

    While the member administers a customer on its behalf (a delegated membership), the actor's
    organization is the partner it acts for and the events are marked delegated: the customer's
    log says "Person, Partner (delegated)", and the partner's log keeps a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        membership = getattr(request, "membership", None)
        organization = getattr(request, "organization", None)
        delegated_in = None
        if membership is not None and membership.is_delegated:
            delegated_in, organization = membership.organization, membership.delegated_by
        # `request_context()`'s work without its generator (a layer every request goes through).
        token = _request.set(
            RequestContext(
                ip_address=client_ip(request),
                user_id=user.pk if user is not None and user.is_authenticated else None,
                organization=organization,
                delegated_in=delegated_in,
            )
        )
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


class _FromRequest:
    """Default of `audit_record`'s arguments that the request context fills in."""


FROM_REQUEST: Any = _FromRequest()


def audit_record(
    *,
    type: str,
    organization: Organization | None,
    actor: User | None = None,
    actor_organization: Organization | None = FROM_REQUEST,
    ip_address: str | None = FROM_REQUEST,
    **details: Any,
) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it describes. `type` is
    a constant of an app's `events.py`.

    `actor_organization` (whom the actor acted for) and `ip_address` default to the current
    request's: its signed-in member's organization (when that member is the actor) and client
    IP. When the actor acted for another organization, that one keeps a copy of the event too,
    so each organization's audit log holds what its own people did elsewhere."""
    return audit_record_for(
        type=type,
        organizations=[organization],
        actor=actor,
        actor_organization=actor_organization,
        ip_address=ip_address,
        **details,
    )[0]


def audit_record_for(
    *,
    type: str,
    organizations: Sequence[Organization | None],
    actor: User | None = None,
    actor_organization: Organization | None = FROM_REQUEST,
    ip_address: str | None = FROM_REQUEST,
    delegated: bool | None = None,
    **details: Any,
) -> list[AuditEvent]:
    """`audit_record` for an event that concerns several organizations (an order: its provider,
    reseller and customer): one row in each one's log, and one in the acting organization's when
    it is none of them. Returns the rows in the order of `organizations`.

    An event the request's user causes while administering a customer on its behalf is
    `delegated`: its acting organization is the partner (even where the service named the
    customer, the organization of its delegated membership), and its details name the customer.
    Outside a request a caller says so itself (`delegated=True`, `actor_organization` the
    partner)."""
    _check_registered(type)
    context = _request.get()
    if isinstance(ip_address, _FromRequest):
        ip_address = context.ip_address if context else None
    by_requester = context is not None and actor is not None and context.user_id == actor.pk
    if context is not None and by_requester and context.delegated_in is not None:
        customer, partner = context.delegated_in, context.organization
        if isinstance(actor_organization, _FromRequest) or (
            actor_organization is not None
            and actor_organization.pk in (customer.pk, partner.pk if partner else None)
        ):
            actor_organization = partner
            delegated = True
            details.setdefault("on_behalf_of", customer.legal_name)
    if context is not None and context.api_client is not None and (actor is None or by_requester):
        # An API client's call: the client is the actor, for its organization (the user its
        # membership carries is only the client's creator, an invitation's sender on record).
        actor = None
        details.setdefault("api_client", context.api_client)
        if isinstance(actor_organization, _FromRequest):
            actor_organization = context.organization
    if isinstance(actor_organization, _FromRequest):
        actor_organization = context.organization if context and by_requester else None
    targets = list(organizations)
    target_ids = {org.pk for org in targets if org is not None}
    if actor_organization is not None and target_ids and actor_organization.pk not in target_ids:
        targets.append(actor_organization)
    events = [
        AuditEvent(
            type=str(type),
            organization=org,
            actor=actor,
            actor_organization=actor_organization,
            delegated=bool(delegated),
            ip_address=ip_address,
            details=details,
        )
        for org in targets
    ]
    AuditEvent.objects.bulk_create(events)
    for hook in _HOOKS:
        hook(events)
    return events[: len(organizations)]


def notify(*, organization: Organization, message: Notice, link: str = "") -> Notification:
    """A notice for the organization's admins, worded when read in the reader's language."""
    return Notification.objects.create(
        organization=organization,
        code=message.msgid,
        params=message.stored_params(),
        message=notice_english(message)[:300],
        link=link,
    )
