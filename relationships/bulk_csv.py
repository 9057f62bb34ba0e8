"""Checking an uploaded CSV of invitations before anything is sent: encoding, columns, size,
and each row (with its line number in the file, the header being line 1). Pure functions: the
services decide what to store and send."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from enrollment.rules import validate_partner_id_format

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
    undecodable: bool = False  # held bytes that are not UTF-8
    unreadable: bool = False  # held a NUL or bytes that are not UTF-8: the file is refused


@dataclass
class CheckedFile:
    rows: list[CheckedRow]
    content_hash: str

    @property
    def invalid(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.errors]


UNREADABLE_SHOWN = 10  # rows with a NUL or non-UTF-8 bytes named in the refusal


def template_csv(kind: str) -> str:
    required, optional = COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*required, *optional])
    writer.writerows(TEMPLATE_EXAMPLES[kind])
    return out.getvalue()


# Undecodable bytes become lone surrogates (surrogateescape); text that had lone surrogates
# encoded (CESU-8) is undecodable too. Neither, nor a NUL, can be stored or shown back.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _decode(data: bytes) -> tuple[str, bool]:
    """The text, and whether some bytes were not UTF-8 (kept as lone surrogates, so that only
    the rows holding them are refused)."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="surrogateescape"), True


def printable(value: str) -> str:
    """`value` without what a database column, a page or an email cannot hold: NUL and lone
    surrogates (undecodable bytes) become U+FFFD, so the row can be stored and shown."""
    return _SURROGATES.sub("\ufffd", value.replace("\x00", "\ufffd"))


def _unreadable(values: list[str]) -> list[str]:
    """Why a row cannot be sent whatever its columns say: a NUL or bytes that are not UTF-8."""
    text = "".join(values)
    errors = []
    if "\x00" in text:
        errors.append(
            _("The row contains a NUL character (0x00), which a CSV file of addresses cannot hold.")
        )
    if _SURROGATES.search(text):
        errors.append(
            _(
                "The row contains bytes that are not UTF-8 text. In your spreadsheet, save the "
                "file as “CSV UTF-8”."
            )
        )
    return errors


def _check_row(kind: str, line: int, cells: list[str], names: list[str]) -> CheckedRow:
    """The row of `cells` (any cell: a NUL in a column the template does not name too)."""
    unreadable = _unreadable(cells)
    values = dict(zip(names, cells, strict=False))
    row = CheckedRow(
        line=line,
        email=printable(values.get("email", "").strip().lower()),
        partner_id=printable(values.get("partner_id", "").strip()),
        company_name=printable(values.get("company_name", "").strip()),
    )
    if unreadable:
        row.errors.extend(unreadable)
        row.undecodable = any(_SURROGATES.search(cell) for cell in cells)
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


def check_file(*, kind: str, data: bytes, salt: str = "") -> CheckedFile:
    """The file's rows, each with its errors; ValidationError (a list of messages) when the
    file as a whole cannot be used. `content_hash` identifies the content (whatever its BOM
    or line endings) plus `salt` (what else decides the send, such as the provider)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB. Split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    text, undecodable = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise ValidationError(_("The file is not a readable CSV file.")) from exc
    if _unreadable(header):
        # Without its header the file cannot be read at all: refused, naming the line.
        raise ValidationError(
            _(
                "Line 1 of the file (the column names) contains a NUL character or bytes that "
                "are not UTF-8. In your spreadsheet, save it as “CSV UTF-8” and upload it again."
            )
        )
    names = [name.strip().lower().replace(" ", "_") for name in header]
    required, _optional = COLUMNS[kind]
    missing = [name for name in required if name not in names]
    if missing:
        raise ValidationError(
            _(
                "The file has no column %(columns)s. Its first line must name the columns, as in "
                "the template: %(expected)s."
            )
            % {"columns": ", ".join(missing), "expected": ", ".join(sum(COLUMNS[kind], ()))}
        )
    rows: list[CheckedRow] = []
    first_line: dict[str, int] = {}
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue  # a blank line
            if len(rows) >= MAX_ROWS:
                raise ValidationError(
                    _("The file has more than %(max)s rows. Split it into smaller files.")
                    % {"max": f"{MAX_ROWS:,}"}
                )
            row = _check_row(kind, reader.line_num, values, names)
            if row.email and not row.errors:
                earlier = first_line.setdefault(row.email, row.line)
                if earlier != row.line:
                    row.errors.append(
                        _("The same address is already on row %(line)s.") % {"line": earlier}
                    )
            rows.append(row)
    except csv.Error as exc:
        raise ValidationError(
            _("Row %(line)s cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    if not rows:
        raise ValidationError(_("The file has a header but no rows."))
    if undecodable and all(row.undecodable for row in rows):
        # Not a stray byte but a file saved in another encoding: say how to save it.
        raise ValidationError(
            _(
                "The file is not in UTF-8. In your spreadsheet, save it as “CSV UTF-8” and "
                "upload it again."
            )
        )
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
    normalized = "\n".join(text.splitlines()).strip()
    digest = hashlib.sha256(
        f"{kind}\n{salt}\n{normalized}".encode(errors="surrogateescape")
    ).hexdigest()
    return CheckedFile(rows=rows, content_hash=digest)
