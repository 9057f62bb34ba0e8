"""Queue a Celery task by its name, so that a service never imports its app's `tasks.py`.

Tasks are thin: they take ids and call a service, so `tasks.py` imports the services. A service
that hands work to a worker after its commit (the outbox's drain, verification's checks, a bulk
file's sending) names the task instead of importing it, and no app has an import cycle. The name
is looked up in the Celery app's registry, not sent blind: under `CELERY_TASK_ALWAYS_EAGER` (the
unit tests) the task runs at once, as a direct call would, and a name that no `tasks.py`
registers raises KeyError instead of queuing a message no worker understands."""

from __future__ import annotations

from typing import Any

from celery import Task

from .celery import app


def _registered(name: str) -> Task[Any, Any]:
    try:
        return app.tasks[name]
    except KeyError:
        # Celery discovers the apps' tasks.py lazily: a worker at start, a web process never.
        app.autodiscover_tasks(force=True)
        return app.tasks[name]


def task_queue(
    name: str, *args: Any, countdown: float | None = None, retry: bool | None = None
) -> None:
    """Queue the task registered as `name` (e.g. "portal.tasks.outbox_drain") with `args`.
    `countdown` and `retry` as in `apply_async`; left out, Celery's defaults apply."""
    options: dict[str, Any] = {}
    if countdown is not None:
        options["countdown"] = countdown
    if retry is not None:
        options["retry"] = retry
    _registered(name).apply_async(args, **options)
