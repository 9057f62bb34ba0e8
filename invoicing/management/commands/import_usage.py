"""`manage.py import_usage FILE --provider ID`: a provider's daily usage file (columns
subscription, date, quantity; any CSV a spreadsheet saves), imported and rated as the upload
would (`invoicing.services.usage_import`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from invoicing.services import usage_import, usage_rows_from_csv
from portal.models import Organization


class Command(BaseCommand):
    help = "Import a provider's daily usage CSV (subscription, date, quantity)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--provider", type=int, required=True, help="provider id")
        parser.add_argument("--batch", type=int, default=2000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Organization.objects.filter(pk=options["provider"]).first()
        if provider is None:
            raise CommandError("No such provider.")
        try:
            rows, unreadable = usage_rows_from_csv(Path(options["file"]).read_bytes())
        except (OSError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        imported = replaced = unchanged = 0
        errors = list(unreadable)
        size = max(1, options["batch"])
        for offset in range(0, len(rows), size):
            batch = rows[offset : offset + size]
            result = usage_import(provider, [row for _line, row in batch])
            imported += result.imported
            replaced += result.replaced
            unchanged += result.unchanged
            errors += [(batch[number - 1][0], reason) for number, reason in result.errors or []]
            self.stdout.write(f"{min(offset + size, len(rows))}/{len(rows)} rows")
        for line, reason in sorted(errors):
            self.stderr.write(f"line {line}: {reason}")
        self.stdout.write(
            f"{imported} imported, {replaced} replaced, {unchanged} unchanged, "
            f"{len(errors)} refused"
        )
