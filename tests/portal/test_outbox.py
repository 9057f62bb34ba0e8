import email.policy
import hashlib
import re
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail
from django.core.mail import mailers
from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.test import override_settings
from django.utils import timezone

from portal.models import OutboxMessage
from portal.outbox import (
    _email,
    message_id_header,
    outbox_deliver,
    outbox_drain,
    outbox_drains_batched,
    outbox_due_count,
    outbox_due_ids,
    outbox_enqueue,
)
from tests.portal.failing_backend import CountingBackend, FlakyBackend

pytestmark = pytest.mark.django_db


def _enqueue(key="k1"):
    return outbox_enqueue(
        key=key,
        to="p@northwind.example",
        template="test_message",
        context={"name": "Pat", "link": "http://x/invite/abc/"},
        language="en",
    )


def test_message_is_sent_after_commit_and_marked_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _enqueue()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Hello Pat"
    assert sent.alternatives and "text/html" in sent.alternatives[0][1]
    message.refresh_from_db()
    assert message.sent_at is not None and message.status == OutboxMessage.Status.SENT


def test_same_key_is_written_and_sent_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _enqueue("same")
        second = _enqueue("same")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1
    assert outbox_deliver(message_id=first.pk) is True
    assert len(mail.outbox) == 1


def test_italian_recipient_gets_the_email_in_italian(django_capture_on_commit_callbacks):
    context = {"legal_name": "Northwind IT", "contact_name": "Nadia", "verification_url": "u"}
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(
            key="it",
            to="p@x.example",
            template="verification_verified",
            context=context,
            language="it",
        )
        outbox_enqueue(
            key="en",
            to="p@x.example",
            template="verification_verified",
            context=context,
            language="en",
        )
    italian, english = mail.outbox
    assert italian.subject == "Northwind IT è verificata"
    assert "Ciao Nadia" in italian.body
    assert english.subject == "Northwind IT is verified"


@override_settings(MAILERS={"default": {"BACKEND": "tests.portal.failing_backend.RefusingBackend"}})
def test_failed_send_is_kept_for_retry_with_backoff():
    message = _enqueue("fail")
    delay = outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert delay is not True and delay.total_seconds() >= 1
    assert message.sent_at is None
    assert message.status == OutboxMessage.Status.PENDING
    assert "refused" in message.last_error


def test_sweeper_finds_unsent_messages_only(settings):
    unsent = _enqueue("never-queued")  # on_commit never ran: the broker was down
    now = timezone.now()
    sent = _enqueue("sent")
    later = _enqueue("retry-later")
    busy = _enqueue("being-sent")
    dead = _enqueue("worker-died")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent", sent_at=now)
    OutboxMessage.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(minutes=5))
    OutboxMessage.objects.filter(pk=busy.pk).update(status="sending", claimed_at=now)
    stale = now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS + 1)
    OutboxMessage.objects.filter(pk=dead.pk).update(status="sending", claimed_at=stale)
    assert outbox_due_ids() == [unsent.pk, dead.pk]
    assert outbox_due_count() == 2


def test_one_transaction_queues_one_drain_that_sends_everything(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("portal.outbox.queue_drain", lambda countdown=None: queued.append(1))
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in range(5):
            _enqueue(f"many-{n}")
    for callback in callbacks:
        callback()
    assert len(queued) == 1
    claimed, retry_in, more = outbox_drain()
    assert (claimed, retry_in, more) == (5, None, False)
    assert len(mail.outbox) == 5
    assert OutboxMessage.objects.filter(status="sent", sent_at__isnull=False).count() == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_of_many_short_transactions_queues_one_drain_at_its_end(monkeypatch):
    # A bulk file commits a row per transaction: its emails are sent by one drain, not one each.
    queued = []
    monkeypatch.setattr("portal.outbox.queue_drain", lambda countdown=None: queued.append(1))
    with outbox_drains_batched():
        for n in range(5):
            with transaction.atomic():
                _enqueue(f"row-{n}")
        assert queued == []
    assert len(queued) == 1
    assert outbox_drain()[0] == 5
    assert len(mail.outbox) == 5


@override_settings(
    MAILERS={"default": {"BACKEND": "tests.portal.failing_backend.CountingBackend"}},
    OUTBOX_BATCH_SIZE=3,
)
def test_a_batch_goes_over_one_connection_with_a_stable_message_id(monkeypatch):
    monkeypatch.setattr(CountingBackend, "opened", 0)
    monkeypatch.setattr(CountingBackend, "sent", [])
    messages = [_enqueue(f"batch-{n}") for n in range(7)]
    assert outbox_drain()[0] == 7
    assert CountingBackend.opened == 3  # 3 + 3 + 1
    ids = [m.extra_headers["Message-ID"] for m in CountingBackend.sent]
    assert len(set(ids)) == 7
    assert ids[0] == message_id_header(messages[0].pk, "batch-0")
    assert outbox_drain()[0] == 0  # nothing is sent twice


@override_settings(MAILERS={"default": {"BACKEND": "tests.portal.failing_backend.FlakyBackend"}})
def test_server_hanging_up_mid_batch_keeps_the_rest_for_later(monkeypatch):
    monkeypatch.setattr(FlakyBackend, "sent", [])
    messages = [_enqueue(f"flaky-{n}") for n in range(5)]
    claimed, retry_in, more = outbox_drain()
    assert claimed == 5 and retry_in is not None and not more
    rows = {m.pk: m for m in OutboxMessage.objects.all()}
    first, second, failed, *untried = (rows[m.pk] for m in messages)
    assert first.sent_at and second.sent_at
    assert failed.status == "pending" and failed.attempts == 1
    assert "SMTPServerDisconnected" in failed.last_error
    assert all(m.status == "pending" and m.attempts == 0 for m in untried)
    assert outbox_due_ids() == []  # every one waits for its backoff


@override_settings(MAILERS={"default": {"BACKEND": "tests.portal.failing_backend.CountingBackend"}})
def test_accepted_message_is_recorded_once_the_database_is_back(monkeypatch):
    monkeypatch.setattr(CountingBackend, "sent", [])
    monkeypatch.setattr("portal.outbox.time.sleep", lambda seconds: None)
    message = _enqueue("db-blip")
    real_update = QuerySet.update
    failures = []

    def update(self, **kwargs):
        if kwargs.get("status") == "sent" and len(failures) < 3:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update)
    monkeypatch.setattr("portal.outbox.connection.close", lambda: None)
    assert outbox_deliver(message_id=message.pk) is True
    message.refresh_from_db()
    assert len(failures) == 3 and message.sent_at is not None
    assert len(CountingBackend.sent) == 1
    assert outbox_drain()[0] == 0
    assert len(CountingBackend.sent) == 1


def test_outbox_page_is_staff_only(client_for, reseller_admin, settings):
    settings.DEBUG = True
    _enqueue()
    assert client_for(reseller_admin).get("/outbox/").status_code == 404
    reseller_admin.user.is_staff = True
    reseller_admin.user.save()
    response = client_for(reseller_admin).get("/outbox/")
    assert response.status_code == 200
    assert "Hello Pat" in response.text
    message = OutboxMessage.objects.get()
    detail = client_for(reseller_admin).get(f"/outbox/{message.pk}/")
    assert '<a href="http://x/invite/abc/"' in detail.text


def test_outbox_page_is_hidden_without_debug(client_for, reseller_admin, settings):
    settings.DEBUG = False
    reseller_admin.user.is_staff = True
    reseller_admin.user.save()
    assert client_for(reseller_admin).get("/outbox/").status_code == 404


def test_the_wire_format_is_a_valid_mime_message_with_a_stable_id():
    row = OutboxMessage(
        pk=42,
        idempotency_key="verification:7:approved",
        to_email="nadia@bücher.example",
        subject="Northwind IT è verificata\r\nBcc: victim@example.com",
        body_text="Ciao Nadia,\nhttps://portal.example/v/7/\n",
        body_html="<p>Ciao <a href='https://portal.example/v/7/'>Nadia</a></p>",
    )
    first = _email(row).message().as_bytes()
    parsed = message_from_bytes(first, policy=email.policy.default)
    assert parsed.defects == []
    assert parsed["Subject"] == "Northwind IT è verificata Bcc: victim@example.com"
    assert parsed["Bcc"] is None  # no header injection
    assert parsed["To"] == "nadia@xn--bcher-kva.example"
    digest = hashlib.sha256(b"verification:7:approved").hexdigest()[:24]
    assert parsed["Message-ID"] == f"<outbox-42-{digest}@csp-portal.example>"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == row.body_text
    assert "href='https://portal.example/v/7/'" in parsed.get_body(("html",)).get_content()
    again = message_from_bytes(_email(row).message().as_bytes(), policy=email.policy.default)
    assert again["Message-ID"] == parsed["Message-ID"]  # a retry carries the same id
    assert b"\r\n" in first and b"\n" not in first.replace(b"\r\n", b"")
    assert b"https://portal.example/v/7/" in first  # ASCII text stays readable (console backend)
    row.body_text = "Ciao Nadia, è verificata.\n"
    italian = message_from_bytes(_email(row).message().as_bytes(), policy=email.policy.default)
    assert italian.get_body(("plain",)).get_content() == row.body_text


@pytest.mark.parametrize(
    "key", ["case:1:approved", "invitation 7: a, b; c <d>", "x" * 200, "ü:ß:é"]
)
def test_message_id_is_one_valid_header_whatever_the_key(key):
    row = OutboxMessage(pk=1, idempotency_key=key, to_email="a@b.example", subject="s")
    row.body_text = "t"
    parsed = message_from_bytes(_email(row).message().as_bytes(), policy=email.policy.default)
    header = parsed["Message-ID"]
    assert header.defects == ()
    # RFC 5322 msg-id: "<" dot-atom-text "@" dot-atom-text ">", nothing cut off.
    assert re.fullmatch(r"<outbox-1-[0-9a-f]{24}@csp-portal\.example>", str(header))
    assert str(header) == message_id_header(1, key)
    assert message_id_header(1, key) != message_id_header(1, key + "x")


def test_smtp_urls_use_the_backend_that_parses_each_address_once():
    from portal.mailbackend import EmailBackend
    from portal.settings.base import mailers_from_url

    config = mailers_from_url("smtp://mail.example:2525")
    with override_settings(MAILERS=config):
        backend = mailers.default
    assert isinstance(backend, EmailBackend) and backend.port == 2525
    assert backend.prep_address("Pat <pat@bücher.example>") == "pat@xn--bcher-kva.example"
    with pytest.raises(ValueError):
        backend.prep_address("pat@example.com\nBcc: victim@example.com")
