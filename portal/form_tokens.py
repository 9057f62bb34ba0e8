"""One-time form tokens: a form that creates something is submitted once, whatever the browser
repeats.

Every creating form (an order, an invitation, a GDAP request, a bulk file's sending, a new user)
carries a hidden `form_token`, issued when its page is rendered (nothing is written then). The
first POST with it runs the service inside `create_once`, which records (organization, person,
purpose, token) → the result's page in the same transaction. A repeat of that POST finds the row
and is sent to the first result with a message, creating nothing: a double click; Back after an
order, then the button again. Back shows the filled form either from the back-forward cache (the
page as it was, its token included) or fetched anew (pages vary on the cookie, which changed
since), when Chromium puts back what the person had filled in but not a hidden input's value:
static/js/portal.js keeps the token sent from each history entry in that entry's state and puts
it back. Two identical POSTs at the same moment queue on the row's unique key: the second waits
for the first transaction and then reads its result; when the first was refused (a validation
error rolls its row back), the second is served like a first.

The pages keep the browser's default caching: `Cache-Control: no-store` would only keep them out
of the back-forward cache, so Back would always fetch a new token beside a restored form, safe
only with the script.

A token is random (128 bits) and signed with the time it was issued, so the rows need keeping
only as long as a token is accepted: one older than `MAX_AGE` is refused with a fresh token in
the re-rendered form, and `form_submissions_sweep` deletes rows older than that. The rows are
scoped to the organization and the person: a token sent by someone else, or in another
organization's context, matches nothing of theirs and is a first submission there.

A POST without a token (a script, a test, a page rendered before this release) is served as
before: the services' own rules (one pending invitation per address, one confirmation per bulk
file) still hold. A future API passes its Idempotency-Key header as `key`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FormSubmission, Membership

if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object

FIELD = "form_token"
SALT = "portal.form_tokens"
# How long a rendered form may wait before it is submitted (and how long its row is kept).
MAX_AGE = timedelta(days=7)
# The length of an accepted key: a token's random part, or an API client's Idempotency-Key.
MAX_KEY_LENGTH = 64


def issue_form_token() -> str:
    """A new token for a form being rendered: random, signed with the time."""
    return signing.TimestampSigner(salt=SALT).sign(secrets.token_urlsafe(16))


def form_token_key(token: str) -> str:
    """The key a submitted token stands for; ValidationError when it is stale or not ours."""
    if len(token) > 2 * MAX_KEY_LENGTH:
        raise _invalid()
    try:
        key = signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE)
    except UnicodeError as exc:  # what no token of ours holds
        raise _invalid() from exc
    except signing.SignatureExpired as exc:
        raise forms.ValidationError(
            _(
                "This form was open for more than %(days)s days, so it was not sent. Check it "
                "and send it again."
            )
            % {"days": MAX_AGE.days},
            code="stale",
        ) from exc
    except signing.BadSignature as exc:
        raise _invalid() from exc
    if not key or len(key) > MAX_KEY_LENGTH:
        raise _invalid()
    return key


def _invalid() -> forms.ValidationError:
    return forms.ValidationError(
        _("This form could not be checked, so it was not sent. Check it and send it again."),
        code="invalid",
    )


class FormTokenMixin(_FormBase):
    """The hidden `form_token` field of a creating form. Cleaned, it is the key to pass to
    `create_once` ("" when the POST carried none). A stale or forged token is a form error, and
    the re-rendered form carries a fresh token, so sending it again works."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=issue_form_token
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        token = cleaned.get(FIELD) or ""
        cleaned[FIELD] = ""
        if token:
            try:
                cleaned[FIELD] = form_token_key(token)
            except forms.ValidationError as exc:
                renewed = cast(Any, self.data).copy()  # a QueryDict (or a dict in tests)
                renewed[self.add_prefix(FIELD)] = issue_form_token()
                self.data = renewed
                self.add_error(None, exc)
        return cleaned


class FormTokenForm(FormTokenMixin, forms.Form):
    """A form of nothing but the token, for a creating form that is only a button (sending a
    reviewed bulk file)."""


@dataclass(frozen=True)
class Repeat:
    """The answer to a repeated submission: the first result's page."""

    url: str

    def response(self, request: HttpRequest, message: str) -> HttpResponseRedirect:
        messages.info(request, message)
        return HttpResponseRedirect(self.url)


def create_once[T](
    *,
    membership: Membership,
    purpose: str,
    key: str,
    create: Callable[[], T],
    result_url: Callable[[T], str],
) -> T | Repeat:
    """Run `create` (a service call) once for this `key`: the first time, in one transaction
    with the row that records `result_url` of what it made; again with the same key (same
    organization, person and purpose), a `Repeat` of that page, creating nothing. A refusal
    (`create` raises) rolls the row back with the rest: the corrected form, with the same
    token, is a first submission. No key: `create()` as it is."""
    if not key:
        return create()
    scope = {
        "organization_id": membership.organization_id,
        "user_id": membership.user_id,
        "purpose": purpose,
        "key": key[:MAX_KEY_LENGTH],
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Inserted first: an identical POST in flight waits here for this transaction.
                submission = FormSubmission.objects.create(**scope)
        except IntegrityError:
            earlier = FormSubmission.objects.filter(**scope).values_list("result_url", flat=True)
            return Repeat(earlier.first() or "/")
        result = create()
        submission.result_url = result_url(result)
        submission.save(update_fields=["result_url"])
    return result


def form_submissions_sweep() -> int:
    """Delete the rows of tokens no longer accepted (older than MAX_AGE and a day)."""
    deleted, _rows = FormSubmission.objects.filter(
        created_at__lt=timezone.now() - MAX_AGE - timedelta(days=1)
    ).delete()
    return deleted
