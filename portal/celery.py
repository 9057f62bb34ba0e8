import logging
import os
import time
from typing import Any

from celery import Celery, signals
from celery.beat import PersistentScheduler
from django.db import DatabaseError, close_old_connections

from portal import logs

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class HeartbeatScheduler(PersistentScheduler):
    """Beat's scheduler, recording beat's own heartbeat (portal/operations.py) at most every
    `HEARTBEAT_EVERY`, so `/readyz` and the operations page see a beat that stopped ticking. A
    database that does not answer skips the record, never the tick."""

    _last_beat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        from portal.operations import BEAT, HEARTBEAT_EVERY, record_heartbeat

        every = HEARTBEAT_EVERY.total_seconds()
        now = time.monotonic()
        if now - self._last_beat >= every:
            try:
                record_heartbeat(BEAT)
            except DatabaseError:
                logger.warning("beat could not record its heartbeat", exc_info=True)
            else:
                self._last_beat = now
            finally:
                close_old_connections()
        # Wake up in time for the next heartbeat even when no task is due for a while.
        return min(interval, every)


@signals.setup_logging.connect
def _logging_from_django_settings(**_kwargs: Any) -> None:
    """The worker and beat keep Django's LOGGING (portal/logs.py: JSON in production) instead of
    installing Celery's own handlers and format."""


_task_tokens: dict[str, Any] = {}


@signals.task_prerun.connect
def _bind_task(task_id: str, task: Any, **_kwargs: Any) -> None:
    """A task's log lines carry its name and id (and the request id of a request that ran it
    eagerly, in the tests)."""
    # A task run eagerly inside another (or after one whose postrun never came) finds that
    # task's name in the context: this task's own name and id replace it.
    _task_tokens[task_id] = logs.start_context(
        **{**logs.log_context(), "task": task.name, "task_id": task_id}
    )


@signals.task_postrun.connect
def _unbind_task(task_id: str, **_kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        logs.end_context(token)
