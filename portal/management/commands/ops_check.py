"""`manage.py ops_check --worker --beat`: exit 0 when each named process kind beat within
`HEARTBEAT_STALE` (portal/operations.py), 1 otherwise, with one line saying why. The compose
healthcheck of the worker and of beat: a query on the heartbeat rows, instead of `celery inspect
ping`, which waits for a broadcast reply for seconds and says nothing about beat.

The rows are one per kind, not per process: with several worker replicas this says that some
worker takes tasks, not that this one does (docs/scaling.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from portal.operations import BEAT, HEARTBEAT_STALE, WORKER, heartbeat_age, heartbeats


class Command(BaseCommand):
    help = "Exit 0 if the worker's and/or beat's heartbeat is fresh, 1 otherwise."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--worker", action="store_true", help="check the worker's heartbeat")
        parser.add_argument("--beat", action="store_true", help="check beat's heartbeat")

    def handle(self, *args, worker: bool, beat: bool, **options) -> None:
        kinds = [kind for kind, wanted in ((WORKER, worker), (BEAT, beat)) if wanted]
        if not kinds:
            raise CommandError("name at least one of --worker, --beat")
        try:
            seen = heartbeats()
        except DatabaseError as exc:
            raise CommandError(f"the database did not answer ({type(exc).__name__})") from exc
        now = timezone.now()
        stale = HEARTBEAT_STALE.total_seconds()
        problems = []
        for kind in kinds:
            age = heartbeat_age(seen, kind, now)
            if age is None:
                problems.append(f"{kind}: no heartbeat yet")
            elif age > stale:
                problems.append(f"{kind}: last heartbeat {age:.0f} s ago (limit {stale:.0f} s)")
            else:
                self.stdout.write(f"{kind}: last heartbeat {age:.0f} s ago")
        if problems:
            raise CommandError("; ".join(problems))
