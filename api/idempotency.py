"""`Idempotency-Key` on every POST of /api/v1/ (`ApiView.dispatch` runs every POST handler
through `idempotent`): the first request with a key runs and its answer is kept for
IDEMPOTENCY_TTL; a repeat with the same key and the same body gets that answer again (its
status and body, `Idempotent-Replayed: true`) without running anything; the same key with
another body is a 422; a request while the first is still running waits for it (the unique
constraint on client and key: the second insert blocks until the first commits) and then gets
its answer, so nothing runs twice.

The key's row is written in the transaction of the handler's changes: both commit, or neither
(a 5xx, or an answer that says "try again": 409, 412, 428, 429, keeps no row)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .models import ApiClient, IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_TTL = timedelta(hours=24)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, no space (a UUID is the usual one)
# Answers that mean "not done, try again": not kept, so a repeat runs.
NOT_KEPT = {409, 412, 428, 429}


class IdempotencyMismatch(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"


class IdempotencyInProgress(exceptions.APIException):
    status_code = 409
    default_code = "idempotency_key_in_progress"


class _Discard(Exception):
    """Rolls the key's row (and anything the handler wrote) back, keeping the answer."""

    def __init__(self, response: Response) -> None:
        self.response = response


def fingerprint(request: Request) -> str:
    raw = request._request.body
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(part + b"\0")
    return digest.hexdigest()


def _replay(record: IdempotencyKey, found: str) -> Response:
    if record.fingerprint != found:
        raise IdempotencyMismatch(
            _("This Idempotency-Key was used for another request: send a new key.")
        )
    response = Response(record.body, status=record.status)
    response[REPLAYED] = "true"
    return response


def _existing(client: ApiClient, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(
        client=client, key=key, created_at__gt=timezone.now() - IDEMPOTENCY_TTL
    ).first()


def idempotent(
    view: Any, request: Request, client: ApiClient, handler: Callable[[], Response]
) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not re.fullmatch(KEY_PATTERN, key):
        raise exceptions.ValidationError(
            {HEADER: [_("Send 1 to 255 printable characters (a UUID, for example).")]}
        )
    found = fingerprint(request)
    record = _existing(client, key)
    if record is not None:
        return _replay(record, found)
    # An expired row of this key is gone for good: the key starts afresh.
    IdempotencyKey.objects.filter(
        client=client, key=key, created_at__lte=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        client=client,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        fingerprint=found,
                        status=0,
                    )
            except IntegrityError:
                # Another request with this key committed first (we waited for it).
                record = _existing(client, key)
                if record is None or record.status == 0:
                    raise IdempotencyInProgress(
                        _("A request with this Idempotency-Key is still running: retry later.")
                    ) from None
                return _replay(record, found)
            try:
                with transaction.atomic():
                    response = handler()
            except Exception as exc:
                response = view.handle_exception(exc)
            if response.status_code >= 500 or response.status_code in NOT_KEPT:
                raise _Discard(response)
            record.status = response.status_code
            record.body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            record.save(update_fields=["status", "body"])
            return response
    except _Discard as discarded:
        return discarded.response


def idempotency_keys_sweep(*, now=None) -> int:
    """Delete keys older than IDEMPOTENCY_TTL (beat, hourly)."""
    now = now or timezone.now()
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lte=now - IDEMPOTENCY_TTL).delete()
    return deleted
