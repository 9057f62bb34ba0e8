import logging
import os
import time
from typing import Any

from celery import Celery
from celery.beat import PersistentScheduler
from django.db import DatabaseError, close_old_connections

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
