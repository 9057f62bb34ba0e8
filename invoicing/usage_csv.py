"""Checking an uploaded usage file before anything is imported: its size, its columns and each
row's shape (with its line number in the file, the header being line 1). Pure functions: the
upload's services (`usage_uploads`) store the rows, and `services.usage_import` decides what
each valid row may change.

Columns (in any order, names compared without case, spaces or a BOM): `subscription_id` (or
`subscription`), `usage_date` (or `date`: YYYY-MM-DD, or DD/MM/YYYY as an Italian spreadsheet
writes it), `quantity` (a decimal point or comma). The file is read by
`portal.csv_import.csv_read` (UTF-8 with or without BOM, UTF-16, Windows-1252; comma, semicolon
or tab)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.csv_import import column_key, csv_read, printable, unreadable_reasons

MAX_ROWS = 20_000
MAX_BYTES = 2 * 1024 * 1024
COLUMNS = ("subscription_id", "usage_date", "quantity")
ALIASES = {"subscription": "subscription_id", "date": "usage_date", "day": "usage_date"}
EXAMPLE = [["1042", "2026-11-03", "12.5"], ["1042", "2026-11-04", "0"]]
MAX_QUANTITY = Decimal("9999999999")


@dataclass
class UsageRow:
    line: int
    subscription_ref: str
    usage_date_text: str
    quantity_text: str
    subscription_id: int | None = None
    usage_date: date | None = None
    quantity: Decimal | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class UsageFile:
    rows: list[UsageRow]
    encoding: str
    delimiter: str

    @property
    def invalid(self) -> list[UsageRow]:
        return [row for row in self.rows if row.errors]


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(EXAMPLE)
    return out.getvalue()


def parse_day(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_quantity(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) > MAX_QUANTITY or value != round(value, 4):
        return None
    return value


def _check_row(line: int, cells: list[str], names: list[str], encoding: str) -> UsageRow:
    values = dict(zip(names, (cell.strip() for cell in cells), strict=False))
    row = UsageRow(
        line=line,
        subscription_ref=printable(values.get("subscription_id", ""))[:64],
        usage_date_text=printable(values.get("usage_date", ""))[:32],
        quantity_text=printable(values.get("quantity", ""))[:32],
    )
    unreadable = unreadable_reasons(cells, encoding=encoding)
    if unreadable:
        row.errors.extend(unreadable)
        return row
    ref = values.get("subscription_id", "")
    if not ref:
        row.errors.append(_("The subscription id is missing."))
    elif not ref.isdigit() or len(ref) > 18:
        row.errors.append(_("The subscription id must be a whole number."))
    else:
        row.subscription_id = int(ref)
    day = values.get("usage_date", "")
    if not day:
        row.errors.append(_("The usage date is missing."))
    else:
        row.usage_date = parse_day(day)
        if row.usage_date is None:
            row.errors.append(_("The usage date must be YYYY-MM-DD or DD/MM/YYYY."))
    quantity = values.get("quantity", "")
    if not quantity:
        row.errors.append(_("The quantity is missing."))
    else:
        row.quantity = parse_quantity(quantity)
        if row.quantity is None:
            row.errors.append(_("The quantity must be a number with at most 4 decimals."))
    return row


def check_usage_file(data: bytes) -> UsageFile:
    """The file's rows, each with its errors; ValidationError when the file as a whole cannot
    be used (too large, not CSV, no such columns, no rows, too many rows)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB. Split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    read = csv_read(data)
    names = [ALIASES.get(key, key) for key in map(column_key, read.header)]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        found = [printable(cell.replace("\ufeff", "").strip())[:60] for cell in read.header][:10]
        raise ValidationError(
            _(
                "The file has no column %(missing)s. Its first line, read as %(read_as)s, names "
                "%(found)s; the columns are: %(expected)s."
            )
            % {
                "missing": ", ".join(missing),
                "read_as": read.read_as,
                "found": ", ".join(f"“{cell}”" for cell in found if cell) or _("no column"),
                "expected": ", ".join(COLUMNS),
            }
        )
    rows: list[UsageRow] = []
    first_line: dict[tuple[int, date], int] = {}
    for line, cells in read.records():
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        row = _check_row(line, cells, names, read.encoding)
        if not row.errors and row.subscription_id is not None and row.usage_date is not None:
            earlier = first_line.setdefault((row.subscription_id, row.usage_date), line)
            if earlier != line:
                row.errors.append(
                    _("The same subscription and day are already on row %(line)s.")
                    % {"line": earlier}
                )
        rows.append(row)
    if not rows:
        raise ValidationError(_("The file has a header but no rows."))
    return UsageFile(rows=rows, encoding=read.encoding, delimiter=read.delimiter)
