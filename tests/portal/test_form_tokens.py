"""One-time form tokens (portal/form_tokens.py): a token is good once per person and
organization, a refusal leaves it usable, a stale or forged one is refused with a fresh one in
its place, and the rows are forgotten once their tokens are no longer accepted. The forms that
use them are tested in their apps (test_*_once.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.form_tokens import (
    MAX_AGE,
    FormTokenForm,
    Repeat,
    create_once,
    form_submissions_sweep,
    issue_form_token,
)
from portal.models import FormSubmission, Notification
from tests.factories import member
from tests.form_tokens import token_in
from tests.relationships.factories import reseller_org

pytestmark = pytest.mark.django_db


def _key(token: str) -> str:
    form = FormTokenForm({"form_token": token})
    assert form.is_valid(), form.errors
    return form.cleaned_data["form_token"]


def _notify(membership, text="Made once"):
    return lambda: Notification.objects.create(organization=membership.organization, message=text)


def _url(notification) -> str:
    return f"/made/{notification.pk}/"


def test_the_same_key_creates_once_and_then_answers_with_the_first_result():
    admin = member(reseller_org())
    key = _key(issue_form_token())
    first = create_once(
        membership=admin, purpose="test", key=key, create=_notify(admin), result_url=_url
    )
    again = create_once(
        membership=admin, purpose="test", key=key, create=_notify(admin), result_url=_url
    )
    assert isinstance(first, Notification)
    assert again == Repeat(f"/made/{first.pk}/")
    assert Notification.objects.count() == 1


def test_another_person_or_organization_with_the_same_key_is_a_first_submission():
    admin = member(reseller_org())
    colleague = member(admin.organization)
    stranger = member(reseller_org())
    key = _key(issue_form_token())
    results = [
        create_once(membership=m, purpose="test", key=key, create=_notify(m), result_url=_url)
        for m in (admin, colleague, stranger)
    ]
    assert all(isinstance(r, Notification) for r in results)
    assert [r.organization for r in results] == [
        admin.organization,
        admin.organization,
        stranger.organization,
    ]


def test_a_refused_creation_leaves_the_token_usable():
    admin = member(reseller_org())
    key = _key(issue_form_token())

    def refuse():
        raise ValidationError("No.")

    with pytest.raises(ValidationError):
        create_once(membership=admin, purpose="test", key=key, create=refuse, result_url=_url)
    assert not FormSubmission.objects.exists()
    made = create_once(
        membership=admin, purpose="test", key=key, create=_notify(admin), result_url=_url
    )
    assert isinstance(made, Notification)


def test_without_a_key_every_submission_creates():
    admin = member(reseller_org())
    for _ in range(2):
        create_once(
            membership=admin, purpose="test", key="", create=_notify(admin), result_url=_url
        )
    assert Notification.objects.count() == 2 and not FormSubmission.objects.exists()


def test_a_new_form_carries_a_new_token():
    assert token_in(str(FormTokenForm())) != token_in(str(FormTokenForm()))


def test_a_forged_token_is_refused_and_the_form_comes_back_with_a_good_one():
    form = FormTokenForm({"form_token": "my-own-key"})
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "This form could not be checked, so it was not sent. Check it and send it again."
    ]
    assert FormTokenForm({"form_token": token_in(str(form))}).is_valid()


def test_a_token_older_than_a_week_is_refused_and_replaced():
    token = issue_form_token()
    with time_machine.travel(timezone.now() + MAX_AGE + timedelta(minutes=1)):
        form = FormTokenForm({"form_token": token})
        assert not form.is_valid()
        assert "open for more than 7 days" in form.non_field_errors()[0]
        fresh = token_in(str(form))
        assert fresh != token and FormTokenForm({"form_token": fresh}).is_valid()


def test_the_sweep_forgets_rows_once_their_tokens_are_no_longer_accepted():
    admin = member(reseller_org())
    for key in ("old", "new"):
        create_once(
            membership=admin, purpose="test", key=key, create=_notify(admin), result_url=_url
        )
    FormSubmission.objects.filter(key="old").update(
        created_at=timezone.now() - MAX_AGE - timedelta(days=1, minutes=1)
    )
    assert form_submissions_sweep() == 1
    assert list(FormSubmission.objects.values_list("key", flat=True)) == ["new"]
