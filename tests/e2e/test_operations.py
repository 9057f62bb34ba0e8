"""The operator's staff open Operations from the navigation, read what needs attention and send
a failed email again with the keyboard, in English and in Italian."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from portal.models import OutboxMessage
from portal.operations import BEAT, WORKER, record_heartbeat
from portal.outbox import outbox_enqueue
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD
from tests.verification.factories import reviewer, submitted_reseller
from verification.models import VerificationCase

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REFUSING = {"default": {"BACKEND": "tests.portal.failing_backend.RefusingBackend"}}


def test_operator_reads_the_operations_page_and_retries_a_failed_email(page, settings):
    # A failed email's next turn is far: only "Retry now" brings it back today.
    settings.OUTBOX_RETRY_BASE_SECONDS = 600
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    staff = reviewer()
    now = timezone.now()
    record_heartbeat(WORKER, now=now - timedelta(minutes=4))
    record_heartbeat(BEAT, now=now - timedelta(seconds=10))
    VerificationCase.objects.create(
        organization=submitted_reseller().organization,
        status=VerificationCase.Status.IN_REVIEW,
        waiting_since=now - timedelta(days=6),
    )
    with override_settings(MAILERS=REFUSING):  # the drain after the commit fails
        message = outbox_enqueue(
            key="welcome-paola",
            to="paola.verdi@northwind.example",
            template="test_message",
            context={"name": "Paola", "link": "http://x/invite/abc/"},
        )
    message.refresh_from_db()
    assert message.last_error and message.sent_at is None

    sign_in(page, staff.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
    expect(page.get_by_text("No heartbeat for 4 min")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Hello Paola")).to_be_visible()
    retry = page.get_by_role(
        "button", name="Retry now the email to paola.verdi@northwind.example: Hello Paola"
    )
    screenshot(page, "operations")

    retry.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        "The email to paola.verdi@northwind.example will be sent again within a minute."
    )
    expect(page.get_by_text("No email is failing")).to_be_visible()
    assert [sent.to for sent in mail.outbox] == [["paola.verdi@northwind.example"]]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT

    # In Italian, with a new failure to show.
    with override_settings(MAILERS=REFUSING):
        outbox_enqueue(
            key="welcome-paola-again",
            to="paola.verdi@northwind.example",
            template="test_message",
            context={"name": "Paola", "link": "http://x/invite/abc/"},
            language="it",
        )
    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", name="Operazioni", level=1)).to_be_visible()
    expect(page.get_by_text("Nessun segnale di vita da 4 min")).to_be_visible()
    expect(page.get_by_role("heading", name="Email non riuscite")).to_be_visible()
    expect(page.get_by_role("button", name="Riprova tutte le email non riuscite")).to_be_visible()
    screenshot(page, "operations-it")
