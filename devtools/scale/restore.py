"""seed_scale after its commit (PostgreSQL, not in an enclosing transaction): the index builds
and foreign-key checks the load took off, and VACUUM (ANALYZE) of every table, run by a few
database sessions at a time instead of one after the other in the seed's transaction.

The foreign keys are back already, NOT VALID (`restore_checks(run, validate=False)`, in the
seed's transaction): enforced on every write since the commit. Here each is validated over the
rows the load wrote (VALIDATE CONSTRAINT: the same check ADD CONSTRAINT makes), each index built
under its own name and definition, and each unique constraint put back on its rebuilt index.

What may run together follows PostgreSQL's locks: index builds on one table share it (SHARE),
while a validation, a unique constraint's attach and a VACUUM take the table for themselves
against the builds and each other. So a table's jobs run in three phases: its index builds (any
number at once), then its constraints one at a time, then its VACUUM (ANALYZE); the biggest
tables' jobs are taken first, and a session with nothing ready on a big table takes the next
table's. A failure stops the sessions and raises: the data is committed, and a constraint left
NOT VALID or an index missing says which check failed (drop the database to rebuild it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, connections

from .run import MAINTENANCE_WORK_MEM, ScaleRun

# Sessions at once: each index build also has PostgreSQL's parallel workers (2 by default) for
# its scan and sort, so more sessions than cores gain little on a small machine.
SESSIONS = 2

INDEX, CONSTRAINT, VACUUM = 0, 1, 2


@dataclass
class Job:
    table: str
    phase: int
    sql: str
    size: int  # the table's bytes: the biggest tables' jobs first


def restore_jobs(run: ScaleRun) -> list[Job]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            # pg_relation_size: relpages is not counted yet for a table loaded in the seed.
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = current_schema()::regnamespace"
        )
        pages = dict(cursor.fetchall())
    jobs: list[Job] = []
    for table, suspended in run.suspended.items():
        size = pages.get(table, 0)
        jobs += [Job(table, INDEX, sql, size) for sql in suspended.indexes]
        jobs += [Job(table, CONSTRAINT, sql, size) for sql in suspended.unique]
        jobs += [
            Job(
                table,
                CONSTRAINT,
                f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}",
                size,
            )
            for name, _definition in suspended.foreign_keys
        ]
    # Table names from the catalogue, quoted: not user input.
    jobs += [
        Job(table, VACUUM, f"VACUUM (ANALYZE) {quote(table)}", size)
        for table, size in pages.items()
    ]
    # The biggest tables first, and a table's index builds before its constraints; among a
    # table's index builds the longest definitions (more and wider columns, a predicate) first,
    # so the last build to end is a short one.
    return sorted(
        jobs, key=lambda job: (-job.size, job.phase, -len(job.sql.partition(" USING ")[2]))
    )


def restore_in_sessions(
    run: ScaleRun, sessions: int = SESSIONS, out: Callable[[str], None] | None = None
) -> None:
    """Run `restore_jobs` in `sessions` new database sessions (threads), each ready job as soon
    as a session is free. Raises the first failure after the running jobs end."""
    pending = restore_jobs(run)
    running: list[Job] = []
    failures: list[BaseException] = []
    changed = threading.Condition()

    def ready(job: Job) -> bool:
        if any(other.table == job.table and other.phase < job.phase for other in pending):
            return False
        return not any(
            other.table == job.table and (other.phase < job.phase or job.phase > INDEX)
            for other in running
        )

    def take() -> Job | None:
        with changed:
            while pending and not failures:
                job = next((job for job in pending if ready(job)), None)
                if job is not None:
                    pending.remove(job)
                    running.append(job)
                    return job
                changed.wait()
            return None

    def session() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
                while (job := take()) is not None:
                    started = time.perf_counter()
                    try:
                        cursor.execute(job.sql)
                    except BaseException as error:
                        with changed:
                            failures.append(error)
                    with changed:
                        running.remove(job)
                        changed.notify_all()
                    elapsed = time.perf_counter() - started
                    if out is not None and elapsed >= 1:
                        out(f"    {elapsed:6.1f} s  {job.sql[:90]}")
        except BaseException as error:  # a session that could not start
            with changed:
                failures.append(error)
                changed.notify_all()
        finally:
            connections.close_all()  # this thread's

    threads = [threading.Thread(target=session, name=f"seed-restore-{n}") for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    run.suspended.clear()
