"""Log lines an operator can search: which request, tenant and user each one belongs to.

One context per request (or Celery task), kept in a contextvar so a line logged deep in a
service carries it without the request being passed down:

- `RequestIdMiddleware` (early in MIDDLEWARE) takes a sane incoming `X-Request-ID` or makes
  one, and returns it on every response; the 500 and 503 pages show it ("Reference: ...").
- `LogContextMiddleware` (after `TenantMiddleware`) adds the tenant (organization id), the user
  id and, while a partner administers a customer on its behalf, the partner's organization id
  (`delegated_by`): ids the request already holds, so no query.
- `portal.celery` binds the task's name and id around each task.

Two formats, one per audience, chosen by LOG_FORMAT (settings `logging_config`): `json` in
production, one JSON object a line for a log pipeline; `console` under `make run` and in the
tests, readable lines. Django's loggers, gunicorn's (deploy/gunicorn.conf.py) and Celery's
worker and beat all write through the root handler and so through the same formatter.

The JSON formatter is python-json-logger's: the portal, Django, gunicorn and Celery all log
through the standard `logging` module, so a stdlib Formatter subclass is the one piece that
turns all of them into JSON; structlog would add a second logging API for nothing here."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _PythonJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# Read from META: `request.headers` would build a dict of every header for this one (issue 21).
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# What an incoming X-Request-ID must look like to be kept (a proxy's or a client's trace id);
# anything else (too long, spaces, quotes, control characters) is replaced by a new one.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_context: ContextVar[Mapping[str, Any] | None] = ContextVar("portal_log_context", default=None)


def log_context() -> Mapping[str, Any]:
    """The ids bound to the current request or task (empty outside of one)."""
    return _context.get() or {}


def current_request_id() -> str | None:
    return log_context().get("request_id")


def bind(**values: Any) -> None:
    """Add ids to the current context (None values are left out)."""
    _context.set({**log_context(), **{k: v for k, v in values.items() if v is not None}})


def start_context(**values: Any) -> Any:
    """A new context (nothing of the previous request or task kept); returns the token that
    `end_context` restores."""
    return _context.set({k: v for k, v in values.items() if v is not None})


def end_context(token: Any = None) -> None:
    if token is None:
        _context.set(None)
    else:
        _context.reset(token)


def request_id_from(header: str | None) -> str:
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


def _clear_after_request(**_kwargs: Any) -> None:
    end_context()


class RequestIdMiddleware:
    """Starts the request's log context with its id and returns the id as `X-Request-ID`.

    The context lasts until the response is closed (`request_finished`), not only until this
    middleware returns: Django logs a 4xx/5xx answer after the middleware chain, and gunicorn
    writes its access line after the body; both still carry the request's ids."""

    def __init__(self, get_response: Callable[[Any], Any]):
        from django.core.signals import request_finished

        self.get_response = get_response
        request_finished.connect(_clear_after_request, dispatch_uid="portal.logs.clear")

    def __call__(self, request: Any) -> Any:
        request_id = request_id_from(request.META.get(REQUEST_ID_META))
        request.request_id = request_id
        start_context(request_id=request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class LogContextMiddleware:
    """Binds the tenant, the user and the delegating partner once `TenantMiddleware` has
    resolved them (from the request context cache: no query of its own)."""

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = getattr(request, "membership", None)
            partner = getattr(membership, "delegated_by", None)
            bind(
                user=user.pk,
                tenant=membership.organization_id if membership is not None else None,
                delegated_by=partner.pk if partner is not None else None,
            )
        return self.get_response(request)


class DisallowedHostFilter(logging.Filter):
    """`django.security.DisallowedHost`: one warning line naming the offending host, not an
    error with a traceback per request (a scanner sends thousands; nothing is wrong with the
    portal). On that logger (`logging_config`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        meta = request.META if request is not None else {}
        host = (meta.get("HTTP_HOST") or meta.get("SERVER_NAME") or "")[:255]
        record.host = host
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        record.msg = "Refused a request for host %r: not in ALLOWED_HOSTS"
        record.args = (host,)
        return True


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """gunicorn's access line as fields (its record's args are the access log atoms). The query
    string and the client's address are left out: either can carry personal data."""
    atoms = record.args if isinstance(record.args, Mapping) else {}

    def atom(key: str) -> Any:
        value = atoms.get(key, "-")
        return None if value == "-" else value

    duration = atom("D")
    fields = {
        "method": atom("m"),
        "path": atom("U"),
        "status": int(atom("s")) if str(atom("s")).isdigit() else atom("s"),
        "bytes": int(atom("B")) if str(atom("B")).isdigit() else None,
        "duration_ms": round(int(duration) / 1000, 1) if str(duration).isdigit() else None,
    }
    request_id = atom("{x-request-id}o")
    if request_id:
        fields["request_id"] = request_id
    return fields


class JsonFormatter(_PythonJsonFormatter):
    """One JSON object a line: timestamp, level, logger, message, the context's ids, then the
    record's extra fields and the traceback (`exc_info`) if any."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # `request` (Django's) is an HttpRequest whose text holds the query string: left out.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        if record.name == "gunicorn.access":
            fields = _access_fields(record)
            log_data["message"] = f"{fields['method']} {fields['path']} {fields['status']}"
            log_data.update(log_context())
            log_data.update(fields)
            return
        log_data["message"] = record.getMessage()
        log_data.update(log_context())
        super().add_fields(log_data, record, message_dict)


class ConsoleFormatter(logging.Formatter):
    """A readable line: time, level, logger, message, then the context's ids if any."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = log_context()
        if context:
            ids = " ".join(f"{key}={value}" for key, value in context.items())
            first, newline, rest = line.partition("\n")
            line = f"{first} [{ids}]{newline}{rest}"
        return line


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """Settings' LOGGING for LOG_FORMAT `json` or `console`: every logger writes through one
    root handler, Django's own included (its default handlers had no time or level)."""
    if log_format not in ("json", "console"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT is 'json' or 'console', not {log_format!r}.")
    through_root = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "portal.logs.JsonFormatter"},
            "console": {"()": "portal.logs.ConsoleFormatter"},
        },
        "filters": {"disallowed_host": {"()": "portal.logs.DisallowedHostFilter"}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": log_format}},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "django": {**through_root, "level": level},
            "django.server": through_root,
            "django.db.backends": {"level": "WARNING"},
            "django.security.DisallowedHost": {**through_root, "filters": ["disallowed_host"]},
        },
    }
