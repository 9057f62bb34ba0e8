"""Reading uploaded CSV files as Excel saves them: the bytes below are what an Italian Excel
writes for "CSV (delimitato dal separatore di elenco)" (Windows-1252, semicolons), "CSV UTF-8"
(BOM, semicolons), "Testo Unicode" (UTF-16 little-endian with BOM, tabs), and the same files
from an English-locale Excel (commas)."""

import codecs

import pytest
from django.core.exceptions import ValidationError

from portal.csv_import import column_key, csv_read, detect_delimiter, detect_encoding

ROWS = [
    ["email", "company_name"],
    ["it@societanuova.example", "Società Nuova S.r.l."],
    ["amministrazione@caffe-sport.example", "Caffè Sport di Rossi & C. S.n.c."],
]


def excel_bytes(encoding: str, delimiter: str) -> bytes:
    """The rows as Excel writes them: CRLF line ends, a BOM for the UTF encodings."""
    text = "".join(delimiter.join(row) + "\r\n" for row in ROWS)
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "delimiter", "read_as"),
    [
        ("cp1252", ",", "Windows-1252, comma-separated"),
        ("cp1252", ";", "Windows-1252, semicolon-separated"),
        ("utf-8-sig", ",", "UTF-8 with BOM, comma-separated"),
        ("utf-8-sig", ";", "UTF-8 with BOM, semicolon-separated"),
        ("utf-8", ";", "UTF-8, semicolon-separated"),
        ("utf-16", "\t", "UTF-16 (Unicode text), tab-separated"),
    ],
)
def test_every_excel_format_reads_the_same_cells_and_says_how(encoding, delimiter, read_as):
    read = csv_read(excel_bytes(encoding, delimiter))
    assert (read.encoding, read.delimiter) == (encoding, delimiter)
    assert read.read_as == read_as
    assert read.header == ["email", "company_name"]
    assert list(read.records()) == [(2, ROWS[1]), (3, ROWS[2])]


def test_the_windows_1252_bytes_are_the_italian_letters_not_utf8():
    data = excel_bytes("cp1252", ";")
    assert b"Societ\xe0 Nuova" in data and b"Caff\xe8" in data  # one byte each, as Excel writes
    assert "Società Nuova S.r.l." in csv_read(data).text


def test_a_utf8_file_with_a_stray_byte_stays_utf8_so_only_that_row_is_damaged():
    data = "email\nanna@società.example\nmario@caffè.example\n".encode() + b"luca@b\xe9ta.example\n"
    assert detect_encoding(data) == "utf-8"
    read = csv_read(data)
    cells = [cells[0] for _line, cells in read.records()]
    assert cells[:2] == ["anna@società.example", "mario@caffè.example"]
    assert cells[2] == "luca@b\udce9ta.example"  # kept undecodable: the row is refused


def test_a_tie_between_delimiters_goes_to_the_rarer_in_text():
    # Two columns either way: a comma inside a name is likelier than a semicolon.
    assert detect_delimiter("email;company, name") == ";"
    assert detect_delimiter("email\tnotes; more") == "\t"
    assert detect_delimiter("email") == ","


def test_a_quoted_delimiter_in_the_header_does_not_count():
    assert detect_delimiter('"email;address",company_name') == ","


def test_column_names_match_whatever_their_case_spaces_hyphens_or_bom():
    assert {column_key(name) for name in ("\ufeffEmail ", " E-MAIL", "e mail")} == {
        "email",
        "e_mail",
    }
    assert column_key("  Company   Name\t") == "company_name"


def test_a_workbook_is_refused_saying_it_is_not_csv():
    with pytest.raises(ValidationError, match="spreadsheet workbook"):
        csv_read(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40)


def test_a_cut_utf16_file_is_refused_naming_utf16():
    data = excel_bytes("utf-16", "\t")[:-1]  # an odd number of bytes
    with pytest.raises(ValidationError, match="UTF-16"):
        csv_read(data)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\r\n\r\n"])
def test_an_empty_file_is_refused_as_empty(data):
    with pytest.raises(ValidationError, match=r"The file is empty\."):
        csv_read(data)
