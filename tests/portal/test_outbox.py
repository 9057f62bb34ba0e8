import pytest
from django.core import mail
from django.test import override_settings

from portal.models import OutboxMessage
from portal.outbox import outbox_deliver, outbox_due_ids, outbox_enqueue

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


def test_sweeper_finds_unsent_messages_only(django_capture_on_commit_callbacks):
    unsent = _enqueue("never-queued")  # on_commit never ran: the broker was down
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue("sent")
    assert outbox_due_ids() == [unsent.pk]


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
