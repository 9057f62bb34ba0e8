"""`manage.py close_period [YYYY-MM]`: close a month (by default the previous one) now, as the
beat task does on the 1st. Idempotent: a closed month issues nothing; a crashed close resumes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from invoicing.services import charges_recurring_sweep, period_close, previous_period


class Command(BaseCommand):
    help = "Close a billing month (YYYY-MM, by default the previous month): issue its invoices."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("month", nargs="?", default="", help="YYYY-MM")
        parser.add_argument(
            "--batch", type=int, default=500, help="invoices per transaction (default 500)"
        )
        parser.add_argument(
            "--no-recurring",
            action="store_true",
            help="Do not write the monthly lines due today first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        month = options["month"]
        try:
            period = date.fromisoformat(f"{month}-01") if month else previous_period()
        except ValueError as exc:
            raise CommandError("The month is YYYY-MM.") from exc
        if not options["no_recurring"]:
            charges_recurring_sweep()
        issued = period_close(period, batch=max(1, options["batch"]))
        self.stdout.write(f"{period:%Y-%m}: {issued} invoices issued")
