"""A service queues a task by its registered name (portal/dispatch.py): the task runs as if it
had been imported (eagerly in unit tests), and a name no tasks.py registers is an error, not a
message no worker understands."""

import pytest
from django.core import mail

from portal.dispatch import task_queue
from portal.models import OutboxMessage
from portal.outbox import outbox_enqueue

pytestmark = pytest.mark.django_db


def test_a_task_queued_by_name_runs_like_the_task_itself():
    outbox_enqueue(
        key="dispatch-1",
        to="p@northwind.example",
        template="test_message",
        context={"name": "Pat", "link": "http://x/invite/abc/"},
        language="en",
    )  # the test's transaction never commits: its own on-commit drain does not run
    assert mail.outbox == []

    task_queue("portal.tasks.outbox_drain", retry=False)

    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().sent_at is not None


def test_a_name_no_tasks_module_registers_raises():
    with pytest.raises(KeyError):
        task_queue("portal.tasks.outbox_drain_typo")
