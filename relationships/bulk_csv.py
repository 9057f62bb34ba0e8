"""Checking an uploaded CSV of invitations before anything is sent: columns, size, and each
row (with its line number in the file, the header being line 1). Pure functions: the
services decide what to store and send."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from enrollment.rules import validate_partner_id_format
from portal.csv_import import (
    CsvFile,
    column_key,
    csv_read,
    printable,
    unreadable_reasons,
)

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024  # 5,000 rows of address, PartnerID and name fit in well under 1 MB

# kind -> (required columns, optional columns), in the template's order.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "reseller": (("email",), ("partner_id",)),
    "customer": (("email", "company_name"), ()),
}
TEMPLATE_EXAMPLES: dict[str, list[list[str]]] = {
    "reseller": [["admin@reseller.example", "1234567"], ["owner@another-reseller.example", ""]],
    "customer": [["it@customer.example", "Customer S.p.A."]],
}


@dataclass
class CheckedRow:
    line: int
    email: str
    partner_id: str = ""
    company_name: str = ""
    errors: list[str] = field(default_factory=list)
    unreadable: bool = False  # held a NUL or undecodable bytes: the file is refused


@dataclass
class CheckedFile:
    rows: list[CheckedRow]
    content_hash: str
    encoding: str  # how the file was read (portal.csv_import.ENCODINGS, DELIMITERS)
    delimiter: str

    @property
    def invalid(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.errors]


UNREADABLE_SHOWN = 10  # rows with a NUL or undecodable bytes named in the refusal
HEADER_CELLS_SHOWN = 10  # the first line's cells named when it lacks a column
# Other names a column goes by: "E-mail" in many spreadsheets, "PartnerID" in the results file.
ALIASES = {"e_mail": "email", "email_address": "email", "partnerid": "partner_id"}
# The content hash joins cells and records with the ASCII unit and record separators.
UNIT, RECORD = "\x1f", "\x1e"


def template_csv(kind: str) -> str:
    required, optional = COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*required, *optional])
    writer.writerows(TEMPLATE_EXAMPLES[kind])
    return out.getvalue()


def column_names(header: list[str]) -> list[str]:
    """The header's columns as the template names them (case, spaces, BOM and aliases aside)."""
    return [ALIASES.get(key, key) for key in map(column_key, header)]


def _check_row(
    kind: str, line: int, cells: list[str], names: list[str], encoding: str
) -> CheckedRow:
    """The row of `cells` (any cell: a NUL in a column the template does not name too)."""
    unreadable = unreadable_reasons(cells, encoding=encoding)
    values = dict(zip(names, cells, strict=False))
    row = CheckedRow(
        line=line,
        email=printable(values.get("email", "").strip().lower()),
        partner_id=printable(values.get("partner_id", "").strip()),
        company_name=printable(values.get("company_name", "").strip()),
    )
    if unreadable:
        row.errors.extend(unreadable)
        row.unreadable = True
        return row
    if not row.email:
        row.errors.append(_("The email address is missing."))
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("“%(email)s” is not a valid email address.") % {"email": row.email})
    if kind == "reseller" and row.partner_id:
        try:
            validate_partner_id_format(row.partner_id)  # the one PartnerID rule
        except ValidationError as exc:
            row.errors.extend(exc.messages)
    if kind == "customer":
        if not row.company_name:
            row.errors.append(_("The company name is missing."))
        elif len(row.company_name) > 200:
            row.errors.append(_("The company name is longer than 200 characters."))
    return row


def _header_refusal(kind: str, read: CsvFile, names: list[str]) -> ValidationError | None:
    """Why the first line does not name the template's columns, in terms of what it holds."""
    required, optional = COLUMNS[kind]
    missing = [name for name in required if name not in names]
    if not missing:
        return None
    expected = ", ".join((*required, *optional))
    # What the line holds, as much as a message can show.
    found = [printable(cell.replace("\ufeff", "").strip())[:60] for cell in read.header]
    found = [cell for cell in found if cell][:HEADER_CELLS_SHOWN]
    if any("@" in cell for cell in found):
        return ValidationError(
            _(
                "The first line of the file holds an address, not the names of the columns. "
                "Add a first line with the template's columns: %(expected)s."
            )
            % {"expected": expected}
        )
    return ValidationError(
        _(
            "The file has no column %(missing)s. Its first line, read as %(read_as)s, names "
            "%(found)s; the template's columns are: %(expected)s."
        )
        % {
            "missing": ", ".join(missing),
            "read_as": read.read_as,
            "found": ", ".join(f"“{cell}”" for cell in found) or _("no column"),
            "expected": expected,
        }
    )


def check_file(*, kind: str, data: bytes, salt: str = "") -> CheckedFile:
    """The file's rows, each with its errors; ValidationError (a list of messages) when the
    file as a whole cannot be used. The file is read by `portal.csv_import.csv_read` (UTF-8
    with or without BOM, UTF-16, Windows-1252; comma, semicolon or tab). `content_hash`
    identifies the content (whatever its encoding, delimiter, BOM or line endings) plus `salt`
    (what else decides the send, such as the provider)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB. Split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    read = csv_read(data)
    if unreadable_reasons(read.header, encoding=read.encoding):
        # Without its header the file cannot be read at all: refused, naming the line.
        raise ValidationError(
            _(
                "Line 1 of the file (the column names) contains a NUL character or bytes that "
                "cannot be read as text. In your spreadsheet, save it as “CSV UTF-8” and upload "
                "it again."
            )
        )
    names = column_names(read.header)
    refusal = _header_refusal(kind, read, names)
    if refusal is not None:
        raise refusal
    rows: list[CheckedRow] = []
    first_line: dict[str, int] = {}
    digest = hashlib.sha256("\n".join((kind, salt, UNIT.join(names))).encode())
    for line, values in read.records():
        if not any(value.strip() for value in values):
            continue  # a blank line
        if len(rows) >= MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        digest.update((RECORD + UNIT.join(values)).encode(errors="surrogateescape"))
        row = _check_row(kind, line, values, names, read.encoding)
        if row.email and not row.errors:
            earlier = first_line.setdefault(row.email, row.line)
            if earlier != row.line:
                row.errors.append(
                    _("The same address is already on row %(line)s.") % {"line": earlier}
                )
        rows.append(row)
    if not rows:
        raise ValidationError(_("The file has a header but no rows."))
    unreadable = [row for row in rows if row.unreadable]
    if unreadable:
        # Not a wrong address but a damaged file: refused as a whole (nothing is stored), each
        # such row named with its line, so the sender mends the file and uploads it again.
        shown = unreadable[:UNREADABLE_SHOWN]
        messages = [
            _("Row %(line)s: %(reason)s") % {"line": row.line, "reason": " ".join(row.errors)}
            for row in shown
        ]
        if len(unreadable) > len(shown):
            messages.append(
                _("%(count)s more rows hold such characters.")
                % {"count": len(unreadable) - len(shown)}
            )
        raise ValidationError(messages)
    return CheckedFile(
        rows=rows,
        content_hash=digest.hexdigest(),
        encoding=read.encoding,
        delimiter=read.delimiter,
    )
