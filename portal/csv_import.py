"""Reading an uploaded CSV file the way spreadsheets save it: the one parser every CSV upload
in the portal goes through (today the bulk invitations of `relationships.bulk_csv`, for both
providers' reseller files and resellers' customer files).

Excel writes a closed set of formats, and an Italian (or any continental) Excel writes all of
them: "CSV UTF-8" (UTF-8 with a BOM), "CSV" (the Windows code page: Windows-1252 in Western
Europe) and "Unicode text" (UTF-16 little-endian with a BOM, tab-separated), the CSV ones
separated by semicolons wherever the comma is the decimal mark. So the encoding is decided,
not guessed: a BOM names it; else bytes that are valid UTF-8 are UTF-8; else the file is
Windows-1252, unless most of its non-ASCII bytes are valid UTF-8 (a UTF-8 file with a stray
byte: its rows holding such bytes are refused, see `unreadable_reason`). A statistical detector
(charset-normalizer, chardet) adds nothing on that set and, on a file of a few short lines,
can name a neighbouring code page (Windows-1250, Mac Roman) instead of the one Excel used.
The delimiter is the one of comma, semicolon or tab that splits the header line into the
most columns (a tie goes to the rarer character in text: tab, then semicolon)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ENCODINGS: dict[str, Promise] = {
    "utf-8": gettext_lazy("UTF-8"),
    "utf-8-sig": gettext_lazy("UTF-8 with BOM"),
    "utf-16": gettext_lazy("UTF-16 (Unicode text)"),
    "cp1252": gettext_lazy("Windows-1252"),
}
DELIMITERS: dict[str, Promise] = {
    ",": gettext_lazy("comma-separated"),
    ";": gettext_lazy("semicolon-separated"),
    "\t": gettext_lazy("tab-separated"),
}
# A tie between two delimiters goes to the first: the rarer one inside a column name.
_DELIMITER_PREFERENCE = ("\t", ";", ",")

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# Undecodable bytes become lone surrogates (surrogateescape); text that had lone surrogates
# encoded (CESU-8) is undecodable too. Neither, nor a NUL, can be stored or shown back.
_SURROGATES = re.compile("[\ud800-\udfff]")
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx / .ods (zip), .xls (OLE)


@dataclass
class CsvFile:
    """An uploaded file as read: how (`encoding`, `delimiter`), its first line's cells
    (`header`) and the text; `records()` yields the lines after the header."""

    encoding: str
    delimiter: str
    header: list[str]
    text: str

    @property
    def read_as(self) -> str:
        return read_as(self.encoding, self.delimiter)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number in the file, cells) for each record after the header, blank lines
        included; ValidationError naming the line when the CSV itself is broken."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        try:
            next(reader, None)
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            raise ValidationError(
                _("Row %(line)s cannot be read as CSV: %(error)s")
                % {"line": reader.line_num, "error": exc}
            ) from exc


def read_as(encoding: str, delimiter: str) -> str:
    """ "UTF-8 with BOM, semicolon-separated": how a file was read, in the reader's words."""
    return _("%(encoding)s, %(delimiter)s") % {
        "encoding": ENCODINGS.get(encoding, encoding),
        "delimiter": DELIMITERS.get(delimiter, delimiter),
    }


def detect_encoding(data: bytes) -> str:
    """One of ENCODINGS' keys (see the module's docstring for the rule)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        sequences = _UTF8_SEQUENCE.findall(data)
        stray = len(_HIGH_BYTE.findall(data)) - sum(len(seq) for seq in sequences)
        return "utf-8" if sequences and len(sequences) >= stray else "cp1252"
    return "utf-8"


def detect_delimiter(first_line: str) -> str:
    """The delimiter that splits `first_line` into the most columns; a comma when none does."""
    best, columns = ",", 1
    for delimiter in _DELIMITER_PREFERENCE:
        count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if count > columns:
            best, columns = delimiter, count
    return best


def column_key(name: str) -> str:
    """A column name compared without case, BOM, outer spaces, or the spaces and hyphens
    inside it: "﻿ Company Name" and "company-name" are "company_name"."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def printable(value: str) -> str:
    """`value` without what a database column, a page or an email cannot hold: NUL and lone
    surrogates (undecodable bytes) become U+FFFD, so the row can be stored and shown."""
    return _SURROGATES.sub("\ufffd", value.replace("\x00", "\ufffd"))


def _has_undecodable(value: str) -> bool:
    return bool(_SURROGATES.search(value))


def unreadable_reasons(cells: list[str], *, encoding: str) -> list[str]:
    """Why a record cannot be used whatever its columns say: a NUL, or bytes that are not
    text in the file's encoding."""
    text = "".join(cells)
    reasons = []
    if "\x00" in text:
        reasons.append(
            _("The row contains a NUL character (0x00), which a CSV file of addresses cannot hold.")
        )
    if _has_undecodable(text):
        reasons.append(
            _(
                "The row contains bytes that are not %(encoding)s text, as the rest of the file "
                "is. In your spreadsheet, save the file as “CSV UTF-8”."
            )
            % {"encoding": ENCODINGS.get(encoding, encoding)}
        )
    return reasons


def csv_read(data: bytes) -> CsvFile:
    """The uploaded bytes as a CSV file: its encoding and delimiter detected, its header read.
    ValidationError when it cannot be a CSV file at all (empty, a workbook, damaged UTF-16)."""
    if data.startswith(_WORKBOOKS):
        raise ValidationError(
            _(
                "This is a spreadsheet workbook (such as .xlsx), not a CSV file. In your "
                "spreadsheet, choose Save as and the type “CSV UTF-8”, then upload that file."
            )
        )
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding, errors="strict" if encoding == "utf-16" else "surrogateescape")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _(
                "The file starts as UTF-16 text (“Unicode text”) but is cut short or damaged. "
                "Save it again from your spreadsheet and upload it."
            )
        ) from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ValidationError(_("The file is empty."))
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    delimiter = detect_delimiter(first_line)
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ValidationError(_("The file is not a readable CSV file.")) from exc
    return CsvFile(encoding=encoding, delimiter=delimiter, header=header, text=text)
