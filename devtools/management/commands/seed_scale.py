"""`manage.py seed_scale [--scale 1.0]`: benchmark-sized data on top of the demo data.

Runs the steps of `devtools.scale.SCALE_STEPS` (one module per app) in order, in one
transaction. It runs `seed_demo` first, so the demo users keep working with their password. It
refuses (and changes nothing) when scale data is already present: drop the database to rebuild
it. The foreign keys and indexes the load took off are put back in that transaction, or, when
the command runs in a transaction of its own (not a test's), the foreign keys NOT VALID there
and, after the commit, checked and the indexes built in a few sessions at once with each table's
VACUUM (ANALYZE) (`devtools/scale/restore.py`); `-v 2` prints those that took a second or more."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction

from devtools.scale import SCALE_STEPS
from devtools.scale.restore import restore_in_sessions
from devtools.scale.run import existing_scale_data, new_run, restore_checks
from portal.pagememo import forget_all


class Command(BaseCommand):
    help = "Load benchmark-sized data (50,000 resellers, 200,000 customers... at --scale 1.0)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 = full size")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *args, **options) -> None:
        scale = options["scale"]
        if not 0 < scale <= 4:
            raise CommandError("--scale must be in (0, 4].")
        started = time.perf_counter()
        call_command("seed_demo", stdout=_Quiet())
        if existing_scale_data():
            self.stdout.write(
                "Scale data is already present: nothing done (refusing to top up; drop the "
                "database to rebuild it)."
            )
            return
        run = new_run(scale, self.stdout.write, seed=options["seed"])
        self.stdout.write(f"seed_scale --scale {scale}: " + ", ".join(
            f"{key}={value}" for key, value in run.counts.items()
        ))  # fmt: skip
        # In its own transaction (not a test's), the checks over the loaded rows run after the
        # commit, several sessions at a time (devtools/scale/restore.py).
        in_sessions = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Check now what an enclosing transaction left deferred (a test's seed_demo):
                # a table with pending checks cannot have its own taken off for the load.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for name, step in SCALE_STEPS:
                step_started = time.perf_counter()
                step(run)
                self.stdout.write(f"  {name:<14} {time.perf_counter() - step_started:6.1f} s")
            # The foreign keys and indexes the steps' bulk loads took off: checked and built
            # once each, over the whole table, instead of row by row (after the commit: only
            # the foreign keys, NOT VALID).
            step_started = time.perf_counter()
            restore_checks(run, validate=not in_sessions)
            self.stdout.write(f"  {'checks':<14} {time.perf_counter() - step_started:6.1f} s")
            commit_started = time.perf_counter()
        if in_sessions:
            self.stdout.write(f"  {'commit':<14} {time.perf_counter() - commit_started:6.1f} s")
            step_started = time.perf_counter()
            # Foreign keys validated, indexes built, then VACUUM (ANALYZE) of each table: it
            # also sets the visibility map, as autovacuum would soon after a load, so index-only
            # scans (the capped counts) read no table page.
            out = self.stdout.write if options["verbosity"] > 1 else None
            try:
                restore_in_sessions(run, out=out)
            except DatabaseError as error:
                raise CommandError(
                    f"The data is committed but a check failed ({str(error).strip()}): drop the "
                    "database to rebuild it."
                ) from error
            elapsed = time.perf_counter() - step_started
            self.stdout.write(f"  {'checks+vacuum':<14} {elapsed:6.1f} s")
        elif connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # in a test's transaction (no VACUUM there)
            elapsed = time.perf_counter() - commit_started
            self.stdout.write(f"  {'analyze':<14} {elapsed:6.1f} s")
        # The loads wrote with COPY, which no page's dependency tracking sees.
        forget_all()
        self.stdout.write("Made:")
        for label, count in run.made.items():
            self.stdout.write(f"  {label:<40} {count:>9,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_scale done in {time.perf_counter() - started:.1f} s "
                f"({sum(v for k, v in run.made.items() if '.' in k):,} rows)."
            )
        )


class _Quiet:
    def write(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass
