from celery import shared_task

from .outbox import outbox_deliver, outbox_due_ids, queue_send


@shared_task(bind=True, max_retries=None, acks_late=True)
def outbox_send(self, message_id: int) -> None:
    result = outbox_deliver(message_id=message_id)
    if result is not True:
        raise self.retry(countdown=result.total_seconds())


@shared_task
def outbox_sweep() -> int:
    ids = outbox_due_ids()
    for message_id in ids:
        queue_send(message_id)
    return len(ids)
