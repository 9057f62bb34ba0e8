"""Error tracking through Sentry (or any service that speaks its protocol), on when SENTRY_DSN is
set (settings). Nothing here is imported otherwise.

An event says where the portal failed and for whom, by ids only: the tags `tenant`, `user`,
`delegated_by` (a partner administering a customer), `request_id` (the id in the log lines and
on the 500 page) and, in the worker, `task`. It carries no personal data: no user record
(`send_default_pii=False`), no local variables, no request body, cookies, query string or
headers but a few harmless ones, no log lines as breadcrumbs (a line may name a person), and
`before_send` replaces any email address left in the event's text."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

from .logs import log_context

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# The request headers an event keeps; Cookie, Authorization, Referer (its query string) and
# the rest are dropped.
KEPT_HEADERS = {"accept", "accept-language", "content-type", "host", "user-agent", "x-request-id"}
CONTEXT_TAGS = ("tenant", "user", "delegated_by", "request_id", "task")


def sentry_init(*, dsn: str, environment: str, release: str | None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            # Error lines become events; no line becomes a breadcrumb (free text may name people).
            LoggingIntegration(level=None, event_level=logging.ERROR),
        ],
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
    )


def _without_emails(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL.sub("[email]", value)
    if isinstance(value, dict):
        return {key: _without_emails(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_emails(item) for item in value]
    return value


def before_send(event: Event, hint: Hint) -> Event:
    """Tags the event with the request's or task's ids and strips personal data."""
    tags: dict[str, str] = event.setdefault("tags", {})  # type: ignore[assignment]
    for name in CONTEXT_TAGS:
        value = log_context().get(name)
        if value is not None:
            tags[name] = str(value)
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for name in ("cookies", "data", "query_string", "env"):
            request.pop(name, None)
        url = request.get("url")
        if isinstance(url, str):
            request["url"] = url.split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                key: value for key, value in headers.items() if key.lower() in KEPT_HEADERS
            }
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        # The message's template stays; its arguments (a name, an address) go.
        logentry.pop("params", None)
        logentry.pop("formatted", None)
    return cast("Event", _without_emails(event))


def before_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb | None:
    """SQL statements keep their text without parameters; HTTP calls lose their query string."""
    data = crumb.get("data")
    if isinstance(data, dict):
        data.pop("db.params", None)
        data.pop("http.query", None)
    return _without_emails(crumb)
