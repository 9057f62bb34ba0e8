import os
from typing import Any

from celery import Celery, signals

from portal import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _logging_from_django_settings(**_kwargs: Any) -> None:
    """The worker and beat keep Django's LOGGING (portal/logs.py: JSON in production) instead of
    installing Celery's own handlers and format."""


_task_tokens: dict[str, Any] = {}


@signals.task_prerun.connect
def _bind_task(task_id: str, task: Any, **_kwargs: Any) -> None:
    """A task's log lines carry its name and id (and the request id of a request that ran it
    eagerly, in the tests)."""
    _task_tokens[task_id] = logs.start_context(
        **logs.log_context(), task=task.name, task_id=task_id
    )


@signals.task_postrun.connect
def _unbind_task(task_id: str, **_kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        logs.end_context(token)
