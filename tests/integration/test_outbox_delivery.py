"""The outbox end to end: this process writes, a real worker sends to a real SMTP sink."""

import time

import pytest
from django.db import transaction

from portal.models import OutboxMessage
from portal.outbox import outbox_enqueue
from portal.tasks import outbox_sweep
from tests.integration.conftest import REDIS_URL, use_broker

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _write(key: str) -> OutboxMessage:
    with transaction.atomic():
        return outbox_enqueue(
            key=key,
            to="pat@northwind.example",
            template="test_message",
            context={"name": "Pat", "link": "http://x/"},
            language="en",
        )


def _wait_sent(message: OutboxMessage, timeout: float = 45) -> OutboxMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.sent_at:
            return message
        time.sleep(0.2)
    return message


def test_message_written_here_is_delivered_once_by_the_worker(celery_stack):
    message = _write("once")
    received = celery_stack.wait_for(1)
    assert len(received) == 1
    assert received[0]["to"] == ["pat@northwind.example"]
    assert "Subject: Hello Pat" in received[0]["data"]
    assert _wait_sent(message).sent_at is not None
    time.sleep(2)  # a late duplicate would show up here
    assert len(celery_stack.messages) == 1


def test_refused_message_is_retried_and_delivered_when_the_sink_accepts(celery_stack):
    celery_stack.refusing = True
    message = _write("refused")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.attempts >= 1 and message.last_error:
            break
        time.sleep(0.2)
    assert message.sent_at is None and "451" in message.last_error
    celery_stack.refusing = False
    assert len(celery_stack.wait_for(1)) == 1
    assert _wait_sent(message).attempts >= 2


def test_message_written_while_broker_is_down_is_delivered_by_the_sweeper(celery_stack):
    use_broker("redis://127.0.0.1:9/0")  # nothing listens there
    try:
        message = _write("broker-down")  # must not raise: the row is safe in the database
    finally:
        use_broker(REDIS_URL)
    time.sleep(1)
    assert celery_stack.messages == []
    outbox_sweep.delay()  # what beat does every minute
    assert len(celery_stack.wait_for(1)) == 1
    assert _wait_sent(message).sent_at is not None
