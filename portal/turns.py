"""Long jobs (a bulk invitation file, the sweeps) write in short transactions, and on SQLite
they also leave the database free now and then, so that a web request waiting to write (a
sign-in saving its session) gets its turn instead of a 500 "database is locked".

SQLite lets one connection write at a time, for the whole file. A request that finds the write
lock taken waits for it (`busy_timeout`), trying again at growing intervals that settle at
100 ms (SQLite's busy handler). A job that commits and begins its next transaction at once
leaves the lock free for microseconds: the waiting request seldom tries in that instant, and
after the busy timeout it fails. So a job calls `turns.take()` after each of its short
transactions: once it has written for `SQLITE_JOB_WRITE_SECONDS` since its last pause, it
pauses `SQLITE_JOB_PAUSE_SECONDS` (longer than the handler's 100 ms), and every writer that was
waiting gets the lock in that pause. PostgreSQL locks rows, not the database: there a job never
pauses.

    turns = WriterTurns()
    for pk in due:
        with transaction.atomic():
            ...
        turns.take()
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection


class WriterTurns:
    def __init__(self) -> None:
        self.since = time.monotonic()

    def take(self) -> None:
        """Between two transactions of a long job: pause if it has written long enough."""
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            return
        if time.monotonic() - self.since >= settings.SQLITE_JOB_WRITE_SECONDS:
            time.sleep(settings.SQLITE_JOB_PAUSE_SECONDS)
            self.since = time.monotonic()
